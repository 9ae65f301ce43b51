"""Fides import on a warehouse schema we did not design: every identity column, composite
keys, the dates a retention rule can start from, and a subject per collection."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from lawful.cli import app
from lawful.datamap.fides import FidesImportError, import_fides_files, parse_subjects
from lawful.datamap.models import Dataset

WAREHOUSE = Path(__file__).parent / "fixtures" / "fides" / "warehouse.yml"


def _import(*subject: str) -> tuple[dict[str, Any], list[str]]:
    default, named = parse_subjects(list(subject))
    result = import_fides_files([WAREHOUSE], system="wh", subject=default, subjects=named)
    return yaml.safe_load(result.yaml_text)["datasets"], result.unmapped


def test_every_identity_column_of_a_collection_is_kept_nested_ones_too() -> None:
    datasets, _ = _import()
    assert datasets["warehouse_customers"]["identities"] == {
        "email": ["email", "billing_email", "contact.backup_email"]
    }
    fields = datasets["warehouse_customers"]["fields"]
    assert [fields[n]["erase"] for n in ("email", "billing_email", "contact.backup_email")] == [
        "hash"
    ] * 3


def test_a_composite_key_keeps_all_its_columns_in_order_references_included() -> None:
    datasets, notes = _import()
    items = datasets["warehouse_order_items"]
    assert items["primary_key"] == ["order_id", "line_no", "variant"]
    assert items["fields"]["order_id"]["references"] == {
        "to": "warehouse_orders.id",
        "direction": "from",
    }
    assert set(items["fields"]) == {"order_id", "line_no", "variant", "gift_message"}
    assert not [n for n in notes if "order_items:" in n and "key" in n]


def test_date_columns_are_kept_as_events_a_retention_rule_can_start_from() -> None:
    datasets, notes = _import()
    customers = datasets["warehouse_customers"]
    assert customers["events"] == {"ts": "ts"}  # typed as a timestamp, whatever its name
    assert customers["fields"]["ts"] == {
        "category": "record.timestamp",
        "erase": "keep",
        "provided_by_subject": False,
    }
    assert datasets["warehouse_orders"]["events"] == {"order_date": "order_date"}
    assert datasets["warehouse_employees"]["events"] == {"hired": "hired_on"}
    # A nested date cannot be an event column; text named like `status` or `format` is no date.
    assert {"status", "format", "contact.updated_at"} & set(customers["fields"]) == set()
    assert "warehouse.customers: 3 field(s) without personal data left out: " in "".join(notes)
    assert "warehouse_order_items" in datasets
    assert "events" not in datasets["warehouse_order_items"]


def test_subject_can_be_given_per_collection_and_the_rest_take_the_default() -> None:
    datasets, _ = _import("customer", "employees=employee", "warehouse.orders=buyer")
    assert {d: e["subject"] for d, e in datasets.items()} == {
        "warehouse_customers": "customer",
        "warehouse_employees": "employee",
        "warehouse_order_items": "customer",
        "warehouse_orders": "buyer",
    }


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (["staff=employee"], "--subject staff=employee: no collection `staff` in the files"),
        (["customer", "buyer"], "--subject is given 2 times without a collection"),
        (["orders=a", "orders=b"], "--subject `orders=b` names no collection or one twice"),
        (["orders=Not An Id"], "--subject `Not An Id` is not a valid Lawful id"),
    ],
)
def test_a_wrong_subject_option_is_one_clear_problem(given: list[str], message: str) -> None:
    with pytest.raises(FidesImportError) as raised:
        _import(*given)
    assert [p.message for p in raised.value.problems] == [message]


def test_the_command_takes_the_old_single_subject_and_per_collection_ones(tmp_path: Path) -> None:
    out = tmp_path / "datasets.yaml"
    old = CliRunner().invoke(
        app, ["import-fides", str(WAREHOUSE), "--subject", "client", "-o", str(out)]
    )
    assert old.exit_code == 0, old.output
    subjects = {e["subject"] for e in yaml.safe_load(out.read_text())["datasets"].values()}
    assert subjects == {"client"}
    new = CliRunner().invoke(app, ["import-fides", str(WAREHOUSE), "--subject",
                                   "employees=employee", "-o", str(out)])  # fmt: skip
    assert new.exit_code == 0, new.output
    datasets = yaml.safe_load(out.read_text())["datasets"]
    assert datasets["warehouse_employees"]["subject"] == "employee"
    assert datasets["warehouse_orders"]["subject"] == "customer"
    wrong = CliRunner().invoke(app, ["import-fides", str(WAREHOUSE), "--subject", "x=employee"])
    assert wrong.exit_code == 1
    assert "F009" in wrong.output
    assert "Traceback" not in wrong.output


def test_every_imported_dataset_is_valid_for_the_map_with_lists_of_keys_and_identities() -> None:
    datasets, _ = _import("warehouse_employees=employee")
    for name, body in datasets.items():
        dataset = Dataset.model_validate({"system": "wh", **body})
        assert dataset.key_fields(), name
    items = Dataset.model_validate({"system": "wh", **datasets["warehouse_order_items"]})
    assert items.key_fields() == ("order_id", "line_no", "variant")
    customers = Dataset.model_validate({"system": "wh", **datasets["warehouse_customers"]})
    assert customers.identity_fields()["email"] == (
        "email",
        "billing_email",
        "contact.backup_email",
    )
