"""Importing fideslang (Ethyca Fides) datasets: the result is a valid part of a Lawful map."""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

import lawful.datamap.fides
from lawful.cli import app
from lawful.datamap.checks import check_datamap
from lawful.datamap.fides import FidesImportError, FidesImportResult, import_fides_files
from lawful.datamap.fides.mapping import (
    FIDES_TO_LAWFUL,
    IDENTITY_CATEGORIES,
    INTERNAL_ID_CATEGORY,
    OTHER_IDENTITY_CATEGORY,
    lawful_category,
)
from lawful.datamap.loader import load_datamap
from lawful.datamap.problems import Problem
from lawful.datamap.taxonomy import default_categories

FIXTURES = Path(__file__).parent / "fixtures" / "fides"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "fides.md"
SHOP = FIXTURES / "shop.yml"
APP = FIXTURES / "app.yml"


def import_shop() -> FidesImportResult:
    return import_fides_files([SHOP, APP], system="shop_db", subject="customer")


@pytest.fixture(scope="module")
def shop() -> FidesImportResult:
    return import_shop()


@pytest.fixture(scope="module")
def datasets(shop: FidesImportResult) -> dict[str, Any]:
    document = yaml.safe_load(shop.yaml_text)
    assert list(document) == ["datasets"]
    result: dict[str, Any] = document["datasets"]
    return result


def write(tmp_path: Path, text: str, name: str = "fides.yml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def import_text(tmp_path: Path, text: str) -> FidesImportResult:
    return import_fides_files([write(tmp_path, text)], system="shop_db", subject="customer")


def problems_of(tmp_path: Path, *texts: str) -> list[tuple[str, str, int, int]]:
    """(code, file name, line, col) of each problem raised for the given files."""
    paths = [write(tmp_path, text, f"file{i}.yml") for i, text in enumerate(texts)]
    with pytest.raises(FidesImportError) as caught:
        import_fides_files(paths, system="shop_db", subject="customer")
    return [_where(problem) for problem in caught.value.problems]


def _where(problem: Problem) -> tuple[str, str, int, int]:
    assert problem.position is not None, str(problem)
    position = problem.position
    return (problem.code, position.file.name, position.line, position.col)


# --- the imported shop is a valid part of a full map ----------------------------------------


def test_imported_shop_loads_in_a_full_map_and_passes_every_check(
    tmp_path: Path, shop: FidesImportResult
) -> None:
    shutil.copy(FIXTURES / "lawful.yaml", tmp_path / "lawful.yaml")
    (tmp_path / "imported.yaml").write_text(shop.yaml_text, encoding="utf-8")

    loaded = load_datamap(tmp_path / "lawful.yaml")

    assert check_datamap(loaded) == []
    assert len(loaded.datamap.datasets) == shop.dataset_count == 8


def test_each_collection_becomes_a_dataset_of_the_given_system_and_subject(
    datasets: dict[str, Any],
) -> None:
    assert list(datasets) == [
        "mongo_app_conversations",
        "mongo_app_customer_details",
        "postgres_shop_address",
        "postgres_shop_customer",
        "postgres_shop_login",
        "postgres_shop_order_item",
        "postgres_shop_orders",
        "postgres_shop_payment_card",
    ]
    assert {d["system"] for d in datasets.values()} == {"shop_db"}
    assert {d["subject"] for d in datasets.values()} == {"customer"}
    customer = datasets["postgres_shop_customer"]
    assert customer["table"] == "customer"
    assert customer["description"] == "One row per registered customer."
    assert customer["primary_key"] == "id"
    assert datasets["mongo_app_customer_details"]["primary_key"] == "_id"


def test_identities_become_lawful_identity_types(datasets: dict[str, Any]) -> None:
    identities = {did: d["identities"] for did, d in datasets.items() if "identities" in d}
    assert identities == {
        "postgres_shop_customer": {"email": "email"},
        "postgres_shop_login": {"phone": "phone"},
    }


def test_references_keep_their_target_and_direction(datasets: dict[str, Any]) -> None:
    references = {
        f"{did}.{name}": spec["references"]
        for did, dataset in datasets.items()
        for name, spec in dataset["fields"].items()
        if "references" in spec
    }
    assert references == {
        "mongo_app_conversations.customer_id": {
            "to": "mongo_app_customer_details.customer_id",
            "direction": "from",
        },
        "mongo_app_customer_details.customer_id": {
            "to": "postgres_shop_customer.id",
            "direction": "from",
        },
        "postgres_shop_login.customer_id": {"to": "postgres_shop_customer.id", "direction": "from"},
        "postgres_shop_order_item.order_id": {"to": "postgres_shop_orders.id", "direction": "from"},
        "postgres_shop_orders.customer_id": {
            "to": "postgres_shop_customer.id",
            "direction": "from",
        },
        "postgres_shop_orders.shipping_address_id": {
            "to": "postgres_shop_address.id",
            "direction": "to",
        },
        "postgres_shop_payment_card.billing_address_id": {
            "to": "postgres_shop_address.id",
            "direction": "to",
        },
        "postgres_shop_payment_card.customer_id": {
            "to": "postgres_shop_customer.id",
            "direction": "from",
        },
    }


def categories(dataset: dict[str, Any]) -> dict[str, str]:
    return {name: spec["category"] for name, spec in dataset["fields"].items()}


def erase(dataset: dict[str, Any]) -> dict[str, str]:
    return {name: spec["erase"] for name, spec in dataset["fields"].items()}


def test_fideslang_categories_map_to_the_default_taxonomy(datasets: dict[str, Any]) -> None:
    assert categories(datasets["postgres_shop_customer"]) == {
        "id": "identifier.internal",
        "email": "contact.email",
        "full_name": "name",
        "loyalty_tier": "user.custom.loyalty_tier",
        "preferences.newsletter": "preference.privacy",
        "preferences.language": "demographic",
        "created_at": "record.timestamp",
    }
    assert set(categories(datasets["postgres_shop_address"]).values()) == {
        "identifier.internal",
        "contact.postal_address",
    }
    assert categories(datasets["postgres_shop_payment_card"]) == {
        "id": "identifier.internal",
        "customer_id": "identifier.internal",
        "billing_address_id": "identifier.internal",
        "holder_name": "name",
        "ccn": "financial.payment_card",
        "processor_token": "financial",
    }
    assert categories(datasets["postgres_shop_login"])["ip"] == "identifier.ip_address"
    assert categories(datasets["mongo_app_customer_details"])["birthday"] == (
        "demographic.birth_date"
    )


def test_nested_object_fields_are_flattened_to_dotted_names(datasets: dict[str, Any]) -> None:
    assert list(datasets["mongo_app_customer_details"]["fields"]) == [
        "_id",
        "customer_id",
        "birthday",
        "emergency_contact.name",
        "emergency_contact.phone",
    ]
    assert categories(datasets["mongo_app_conversations"])["messages.body"] == (
        "communication.private_content"
    )


def test_fields_without_personal_data_are_left_out_unless_they_are_keys(
    datasets: dict[str, Any],
) -> None:
    assert list(datasets["postgres_shop_orders"]["fields"]) == [
        "id",
        "customer_id",
        "shipping_address_id",
        "placed_at",  # a date a retention rule can count from
    ]
    assert datasets["postgres_shop_order_item"]["fields"]["order_id"] == {
        "category": INTERNAL_ID_CATEGORY,
        "erase": "keep",
        "references": {"to": "postgres_shop_orders.id", "direction": "from"},
    }


def test_identities_are_hashed_keys_kept_and_other_personal_data_nullified(
    datasets: dict[str, Any],
) -> None:
    assert erase(datasets["postgres_shop_customer"]) == {
        "id": "keep",
        "email": "hash",
        "full_name": "nullify",
        "loyalty_tier": "nullify",
        "preferences.newsletter": "nullify",
        "preferences.language": "nullify",
        "created_at": "keep",
    }
    assert erase(datasets["postgres_shop_login"]) == {
        "id": "keep",
        "customer_id": "keep",
        "phone": "hash",
        "ip": "nullify",
        "signed_in_at": "keep",
    }


def test_descriptions_are_kept(datasets: dict[str, Any]) -> None:
    assert datasets["postgres_shop_customer"]["fields"]["full_name"]["description"] == (
        "As typed at sign-up."
    )


def test_what_could_not_be_mapped_is_reported_one_line_each(shop: FidesImportResult) -> None:
    notes = shop.unmapped
    assert notes[0].startswith("mongo_app: dataset-level data_categories were not copied")
    expected_starts = [
        "postgres_shop.customer.loyalty_tier: category user.custom.loyalty_tier has no Lawful "
        "equivalent: kept as `user.custom.loyalty_tier`; declare it under your map's "
        "`categories:`",
        "postgres_shop.customer: 1 field(s) without personal data left out: preferences.theme",
        "postgres_shop.payment_card.processor_token: references card_vault.tokens.id, "
        "but dataset `card_vault` is not in the files imported: reference left out",
        "postgres_shop.login.customer_id: reference to postgres_shop.customer.id has no "
        "direction (Fides follows it both ways): imported as `from`",
        "postgres_shop.payment_card: fides_meta.after (postgres_shop.orders) has no Lawful "
        "equivalent",
        "mongo_app: fides_meta.after (postgres_shop) has no Lawful equivalent",
        "mongo_app.conversations: 1 field(s) without personal data left out: messages.sent_at",
    ]
    for start in expected_starts:
        assert sum(note.startswith(start) for note in notes) == 1, start
    assert len(notes) == 12  # date columns are kept now (for retention), not left out
    assert all("\n" not in note for note in notes)


def test_notes_are_grouped_by_place_in_the_fideslang_files(shop: FidesImportResult) -> None:
    places = [note.split(": ", 1)[0].split(".") for note in shop.unmapped]
    assert places == sorted(places)


def test_output_is_deterministic_and_independent_of_file_order() -> None:
    first = import_shop()
    reversed_order = import_fides_files([APP, SHOP], system="shop_db", subject="customer")

    assert import_shop() == first
    assert yaml.safe_load(reversed_order.yaml_text) == yaml.safe_load(first.yaml_text)
    assert reversed_order.unmapped == first.unmapped


def test_output_is_readable_block_yaml_with_a_review_header(shop: FidesImportResult) -> None:
    lines = shop.yaml_text.splitlines()
    assert lines[0] == "# Imported by `lawful import-fides` from fideslang: shop.yml, app.yml."
    assert lines[2] == "datasets:"
    assert "{" not in shop.yaml_text
    assert shop.yaml_text.endswith("\n")


# --- the category table ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fides", "lawful"),
    [
        ("user.contact.email", "contact.email"),
        ("user.contact.address.street", "contact.postal_address"),
        ("user.contact.address.county", "contact.postal_address"),
        ("user.name.first", "name"),
        ("user.financial.bank_account", "financial.bank_account"),
        (
            "user.government_id.national_identification_number",
            "identifier.government_id.national_id",
        ),
        ("user.government_id.immigration", "identifier.government_id"),
        ("user.device.ip_address", "identifier.ip_address"),
        ("user.unique_id", "identifier.internal"),
        ("user.health_and_medical.insurance_beneficiary_id", "special.health"),
        ("user.criminal_history", "criminal.record"),
        ("user.provided.identifiable.contact.email", "contact.email"),
        ("user.provided.identifiable.contact.street", "contact.postal_address"),
        ("user.derived.identifiable.device.ip_address", "identifier.ip_address"),
        ("account.contact.phone_number", "contact.phone"),
        ("User.Contact.Email", "contact.email"),
    ],
)
def test_fideslang_category_maps_to_the_most_specific_lawful_one(fides: str, lawful: str) -> None:
    assert lawful_category(fides) == lawful


@pytest.mark.parametrize(
    "fides",
    ["system", "system.operations", "system.authentication", "user.derived.nonidentifiable.sensor"],
)
def test_system_and_non_identifiable_categories_are_not_personal_data(fides: str) -> None:
    assert lawful_category(fides) is None


@pytest.mark.parametrize(
    ("fides", "kept"),
    [
        ("user.custom.loyalty_tier", "user.custom.loyalty_tier"),
        ("user.childrens", "user.childrens"),
        ("user", "user"),
        ("acme.Loyalty-Tier", "acme.loyalty_tier"),
    ],
)
def test_category_without_lawful_equivalent_is_kept_as_a_valid_id(fides: str, kept: str) -> None:
    assert lawful_category(fides) == kept


def test_every_category_the_import_writes_is_in_the_default_taxonomy() -> None:
    written = {
        *FIDES_TO_LAWFUL.values(),
        *IDENTITY_CATEGORIES.values(),
        INTERNAL_ID_CATEGORY,
        OTHER_IDENTITY_CATEGORY,
    }
    assert written - set(default_categories()) == set()


def test_the_documented_category_table_is_the_one_the_import_uses() -> None:
    rows = re.findall(r"^\| `(user\.[a-z_.]+)` \| `([a-z_.]+)` \|$", DOCS.read_text(), re.M)
    assert dict(rows) == FIDES_TO_LAWFUL
    assert len(rows) == len(FIDES_TO_LAWFUL)


def test_every_problem_code_of_the_import_is_documented() -> None:
    package = Path(lawful.datamap.fides.__file__).parent
    source = "".join(module.read_text() for module in sorted(package.glob("*.py")))
    documented = set(re.findall(r"^\| (F\d{3}) \|", DOCS.read_text(), re.M))
    assert set(re.findall(r'"(F\d{3})"', source)) == documented


# --- choices the import makes and reports ---------------------------------------------------

ONE_COLLECTION = "dataset:\n- fides_key: crm\n  collections:\n  - name: contact\n    fields:\n"


def import_fields(tmp_path: Path, fields: str) -> tuple[dict[str, Any], list[str]]:
    """Import one collection `crm.contact` with the given fields."""
    text = ONE_COLLECTION + textwrap.indent(textwrap.dedent(fields).strip("\n"), "    ") + "\n"
    result = import_text(tmp_path, text)
    dataset = yaml.safe_load(result.yaml_text)["datasets"]["crm_contact"]
    return dataset, result.unmapped


def test_field_with_several_categories_keeps_the_most_sensitive_and_says_so(
    tmp_path: Path,
) -> None:
    dataset, notes = import_fields(
        tmp_path,
        """
        - name: id
        - name: notes
          data_categories: [user.content, user.health_and_medical, system.operations]
        """,
    )
    assert dataset["fields"]["notes"]["category"] == "special.health"
    assert notes == [
        "crm.contact.notes: has several categories; Lawful keeps one per field: "
        "kept `special.health` (the most sensitive), not `communication`"
    ]


def test_custom_identity_keeps_its_name_and_gets_a_customer_identifier_category(
    tmp_path: Path,
) -> None:
    dataset, _ = import_fields(
        tmp_path,
        """
        - name: id
        - name: loyalty_number
          fides_meta: {identity: loyalty-number}
        """,
    )
    assert dataset["identities"] == {"loyalty_number": "loyalty_number"}
    assert dataset["fields"]["loyalty_number"] == {
        "category": OTHER_IDENTITY_CATEGORY,
        "erase": "hash",
    }


def test_collection_without_primary_key_or_id_field_is_reported(tmp_path: Path) -> None:
    dataset, notes = import_fields(
        tmp_path,
        """
        - name: email
          data_categories: [user.contact.email]
        """,
    )
    assert "primary_key" not in dataset
    assert notes == [
        "crm.contact: no field is marked `primary_key` and there is no `id` field; "
        "set the dataset's `primary_key:` by hand"
    ]


def test_composite_primary_key_keeps_every_field_in_order(tmp_path: Path) -> None:
    dataset, notes = import_fields(
        tmp_path,
        """
        - name: list_id
          fides_meta: {primary_key: true}
        - name: email
          data_categories: [user.contact.email]
          fides_meta: {primary_key: true}
        """,
    )
    assert dataset["primary_key"] == ["list_id", "email"]
    assert dataset["fields"]["email"]["erase"] == "hash"  # a key that is personal data
    assert notes == []


def test_read_only_field_is_kept_on_erasure_and_reported(tmp_path: Path) -> None:
    dataset, notes = import_fields(
        tmp_path,
        """
        - name: id
        - name: display_name
          data_categories: [user.name]
          fides_meta: {read_only: true}
        """,
    )
    assert dataset["fields"]["display_name"]["erase"] == "keep"
    assert notes == [
        "crm.contact.display_name: read_only in Fides: erase set to `keep`; "
        "make sure the value is erased where it is written"
    ]


def test_every_field_of_an_identity_type_is_kept(tmp_path: Path) -> None:
    dataset, notes = import_fields(
        tmp_path,
        """
        - name: id
        - name: work_email
          data_categories: [user.contact.email]
          fides_meta: {identity: email}
        - name: home_email
          data_categories: [user.contact.email]
          fides_meta: {identity: email}
        """,
    )
    assert dataset["identities"] == {"email": ["work_email", "home_email"]}
    assert dataset["fields"]["home_email"]["erase"] == "hash"
    assert notes == []


def test_summary_categories_skip_processing_and_custom_request_fields_are_reported(
    tmp_path: Path,
) -> None:
    text = """
        dataset:
          - fides_key: crm
            collections:
              - name: archive
                data_categories: [user.contact]
                fides_meta: {skip_processing: true}
                fields:
                  - name: id
                  - name: email
                    data_categories: [user.contact.email]
                    fides_meta: {custom_request_field: site_id}
    """
    notes = import_text(tmp_path, text).unmapped
    assert notes == [
        "crm.archive: collection-level data_categories were not copied to the fields; "
        "each field keeps the labels written on it",
        "crm.archive: skip_processing is set in Fides, but Lawful includes every dataset in "
        "requests; remove it from the map if it must stay untouched",
        "crm.archive.email: custom_request_field `site_id` has no Lawful equivalent",
    ]


def test_only_the_first_of_several_references_is_kept(tmp_path: Path) -> None:
    text = """
        dataset:
          - fides_key: crm
            collections:
              - name: account
                fields:
                  - name: id
              - name: person
                fields:
                  - name: id
              - name: contact
                fields:
                  - name: id
                  - name: owner_id
                    fides_meta:
                      references:
                        - {dataset: crm, field: account.id, direction: to}
                        - {dataset: crm, field: person.id, direction: to}
    """
    result = import_text(tmp_path, text)
    fields = yaml.safe_load(result.yaml_text)["datasets"]["crm_contact"]["fields"]
    assert fields["owner_id"]["references"] == {"to": "crm_account.id", "direction": "to"}
    assert result.unmapped == [
        "crm.contact.owner_id: also references crm.person.id; Lawful keeps one reference per "
        "field: kept `crm_account.id`"
    ]


def test_reference_to_a_nested_field_is_reported_not_written(tmp_path: Path) -> None:
    text = """
        dataset:
          - fides_key: app
            collections:
              - name: profile
                fields:
                  - name: _id
                    fides_meta: {primary_key: true}
                  - name: contact
                    fields:
                      - name: email
                        data_categories: [user.contact.email]
                        fides_meta: {identity: email}
              - name: ticket
                fields:
                  - name: _id
                    fides_meta: {primary_key: true}
                  - name: email
                    data_categories: [user.contact.email]
                    fides_meta:
                      references:
                        - {dataset: app, field: profile.contact.email, direction: from}
    """
    result = import_text(tmp_path, text)
    datasets = yaml.safe_load(result.yaml_text)["datasets"]
    assert datasets["app_profile"]["identities"] == {"email": "contact.email"}
    assert "references" not in datasets["app_ticket"]["fields"]["email"]
    assert result.unmapped == [
        "app.ticket.email: references app.profile.contact.email: a Lawful reference names a "
        "top-level field (letters, digits, underscores), so it was left out"
    ]


def test_dataset_ids_are_made_valid_lawful_ids(tmp_path: Path) -> None:
    text = """
        dataset:
          - fides_key: Shop-DB
            collections:
              - name: Order Lines
                fields:
                  - name: id
    """
    datasets = yaml.safe_load(import_text(tmp_path, text).yaml_text)["datasets"]
    assert list(datasets) == ["shop_db_order_lines"]
    assert datasets["shop_db_order_lines"]["table"] == "Order Lines"


# --- malformed input: problems with exact positions -----------------------------------------


def test_text_that_is_not_yaml_is_a_syntax_problem_at_its_line(tmp_path: Path) -> None:
    text = """
        dataset:
          - fides_key: shop
            collections: [
              {name: customer, fields: [{name: id}]}
            extra: 1
    """
    assert problems_of(tmp_path, text) == [("Y001", "file0.yml", 5, 5)]


def test_file_without_a_dataset_key_points_at_its_first_key(tmp_path: Path) -> None:
    text = """
        # a Lawful map passed by mistake
        datasets:
          shop_customer: {}
    """
    with pytest.raises(FidesImportError) as caught:
        import_fides_files([write(tmp_path, text)], system="shop_db", subject="customer")
    [problem] = caught.value.problems
    assert _where(problem) == ("F002", "fides.yml", 2, 1)
    assert "no `dataset:` key (found `datasets:`)" in problem.message


@pytest.mark.parametrize("text", ["", "just words\n", "- a\n- list\n"])
def test_file_that_is_no_mapping_is_not_a_fideslang_file(tmp_path: Path, text: str) -> None:
    assert problems_of(tmp_path, text) == [("F002", "file0.yml", 1, 1)]


def test_collection_without_fields_is_a_problem_where_it_is_written(tmp_path: Path) -> None:
    text = """
        dataset:
          - fides_key: shop
            collections:
              - name: customer
                fields:
                  - name: id
              - name: audit
              - name: empty
                fields: []
    """
    assert problems_of(tmp_path, text) == [
        ("F004", "file0.yml", 7, 9),
        ("F004", "file0.yml", 9, 17),
    ]


def test_wrong_types_and_missing_keys_are_problems_at_their_value(tmp_path: Path) -> None:
    text = """
        dataset:
          - fides_key: shop
            collections:
              - name: customer
                fields:
                  - name: id
                    data_categories: user.unique_id
                    fides_meta:
                      primary_key: yes please
                  - fides_meta: {identity: email}
          - name: no key
            collections: []
    """
    assert problems_of(tmp_path, text) == [
        ("F003", "file0.yml", 7, 30),  # data_categories is not a list
        ("F003", "file0.yml", 9, 28),  # primary_key is not true or false
        ("F003", "file0.yml", 10, 13),  # field without a name
        ("F003", "file0.yml", 11, 5),  # dataset without a fides_key
        ("F004", "file0.yml", 12, 18),  # dataset without collections
    ]


def test_malformed_references_are_problems_at_the_value(tmp_path: Path) -> None:
    text = """
        dataset:
          - fides_key: shop
            collections:
              - name: customer
                fields:
                  - name: id
                  - name: email
                    fides_meta:
                      references:
                        - dataset: shop
                          field: id
                        - dataset: shop
                          field: customer.id
                          direction: both
    """
    assert problems_of(tmp_path, text) == [
        ("F007", "file0.yml", 11, 26),
        ("F007", "file0.yml", 14, 30),
    ]


def test_reference_to_a_missing_collection_or_field_of_an_imported_dataset_is_a_problem(
    tmp_path: Path,
) -> None:
    shop = """
        dataset:
          - fides_key: shop
            collections:
              - name: customer
                fields:
                  - name: id
    """
    orders = """
        dataset:
          - fides_key: orders
            collections:
              - name: order
                fields:
                  - name: id
                  - name: customer_id
                    fides_meta:
                      references:
                        - {dataset: shop, field: customer.uid, direction: from}
                        - {dataset: shop, field: client.id, direction: from}
    """
    with pytest.raises(FidesImportError) as caught:
        import_fides_files(
            [write(tmp_path, shop, "shop.yml"), write(tmp_path, orders, "orders.yml")],
            system="shop_db",
            subject="customer",
        )
    problems = caught.value.problems
    assert [_where(p) for p in problems] == [
        ("F006", "orders.yml", 10, 42),
        ("F006", "orders.yml", 11, 42),
    ]
    assert problems[0].message == "reference to unknown field `shop.customer.uid`"
    assert problems[0].hint == "fields of `customer`: id"
    assert problems[1].message == "reference to unknown collection `shop.client`"


def test_duplicates_are_problems(tmp_path: Path) -> None:
    shop = """
        dataset:
          - fides_key: shop
            collections:
              - name: customer
                fields:
                  - name: id
                  - name: id
    """
    other = """
        dataset:
          - fides_key: shop
            collections:
              - name: customer
                fields: [{name: id}]
          - fides_key: other
            collections:
              - name: a
                fields: [{name: id}]
              - name: A
                fields: [{name: id}]
              - name: a
                fields: [{name: id}]
    """
    assert problems_of(tmp_path, shop) == [("F005", "file0.yml", 7, 13)]  # field listed twice
    fixed = shop.removesuffix("              - name: id\n    ")
    assert problems_of(tmp_path, fixed, other) == [
        ("F005", "file1.yml", 2, 5),  # dataset `shop` in both files
        ("F005", "file1.yml", 10, 9),  # `other.A` and `other.a` both become `other_a`
        ("F005", "file1.yml", 12, 9),  # `other.a` is listed twice
    ]


def test_missing_file_and_invalid_ids_are_problems(tmp_path: Path) -> None:
    with pytest.raises(FidesImportError) as caught:
        import_fides_files([tmp_path / "nope.yml"], system="Shop DB", subject="customer")
    [id_problem, file_problem] = caught.value.problems
    assert (id_problem.code, id_problem.position) == ("F008", None)
    assert "e.g. `shop_db`" in id_problem.hint
    assert _where(file_problem) == ("F001", "nope.yml", 1, 1)


# --- the command ----------------------------------------------------------------------------

runner = CliRunner()


def test_command_prints_the_datasets_yaml_and_the_notes() -> None:
    result = runner.invoke(
        app, ["import-fides", str(SHOP), str(APP), "--system", "shop_db", "--subject", "customer"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == import_shop().yaml_text
    assert "not mapped" in result.stderr
    assert "card_vault" in result.stderr


def test_command_writes_the_output_file(tmp_path: Path) -> None:
    out = tmp_path / "imported.yaml"
    result = runner.invoke(app, ["import-fides", str(SHOP), str(APP), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"{out}: 8 datasets" in "".join(result.stdout.split("\n"))
    assert yaml.safe_load(out.read_text())["datasets"]["postgres_shop_customer"]["system"] == (
        "imported"
    )


def test_command_exits_one_with_the_problem_line_on_bad_input(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        dataset:
          - fides_key: shop
            collections:
              - name: customer
    """,
    )
    result = runner.invoke(app, ["import-fides", str(path)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"{path}:4:9: F004 collection `customer` has no fields" in result.stderr
