"""The default taxonomy shipped as YAML in `lawful/datamap/taxonomy/`: shape, law and DPV terms."""

from __future__ import annotations

import csv
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

DPV_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "dpv"
TAXONOMY_FILES = (
    "categories",
    "ccpa_categories",
    "legal_bases",
    "special_conditions",
    "criminal_conditions",
    "purposes",
    "subjects",
)
FILES_WITH_DPV_TERMS = ("categories", "legal_bases", "purposes", "subjects")

CATEGORY_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
SNAKE_ID = re.compile(r"^[a-z][a-z0-9_]*$")
CATEGORY_FIELDS = {"name", "description", "sensitivity", "ccpa", "dpv"}
OPTIONAL_CATEGORY_FIELDS = {"free_text"}  # messages, notes: redacted in packages (Art. 15(4))
SENSITIVITIES = {"ordinary", "special", "criminal", "sensitive_pi"}

# GDPR Art. 9(1), one category per kind of special data, plus diversity monitoring.
ARTICLE_9_CATEGORIES = (
    "special.racial_ethnic_origin",
    "special.political_opinion",
    "special.religious_belief",
    "special.trade_union_membership",
    "special.genetic",
    "special.biometric",
    "special.health",
    "special.sexual_orientation",
    "equal_opportunity",
)
# GDPR Art. 10.
CRIMINAL_CATEGORIES = ("criminal", "criminal.record", "criminal.background_check")
# CPRA "sensitive personal information" that the GDPR treats as ordinary data,
# Cal. Civ. Code §1798.140(ae)(1)(A)–(E).
CPRA_SENSITIVE_CATEGORIES = (
    "identifier.government_id",
    "identifier.government_id.national_id",
    "identifier.government_id.passport",
    "identifier.government_id.social_security",
    "account.credentials",
    "account.oauth_token",
    "financial.payment_card.security_code",
    "location.precise",
    "demographic.nationality",
    "recruitment.work_eligibility",
    "communication.private_content",
)
# What the contact centres, BPOs, recruiters and B2B SaaS companies Lawful serves collect.
MUST_HAVE_CATEGORIES = (
    "name",
    "contact.email",
    "contact.phone",
    "contact.postal_address",
    "identifier.customer",
    "identifier.internal",
    "identifier.caller_id",
    "identifier.ip_address",
    "identifier.cookie_id",
    "identifier.device_id",
    "identifier.tax_id",
    "identifier.government_id",
    "identifier.government_id.passport",
    "identifier.government_id.social_security",
    "device",
    "online_activity.browsing",
    "online_activity.server_log",
    "online_activity.session_recording",
    "location.approximate",
    "location.precise",
    "communication.call_recording",
    "communication.call_log",
    "communication.ivr_input",
    "communication.screen_recording",
    "communication.message",
    "social_media",
    "account.credentials",
    "account.google",
    "account.oauth_token",
    "preference.marketing",
    "preference.communication",
    "preference.privacy",
    "inference.profile",
    "demographic.birth_date",
    "demographic.gender",
    "photo",
    "signature",
    "recruitment.cv",
    "recruitment.reference",
    "recruitment.job_preference",
    "recruitment.work_eligibility",
    "professional.work_history",
    "education",
    "employment.compensation",
    "employment.performance",
    "employment.timekeeping",
    "related_person.emergency_contact",
    "related_person.dependant",
    "financial.bank_account",
    "financial.payment_card",
    "commercial.billing",
)


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses a key given twice (plain PyYAML keeps the last one silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        keys = [self.construct_object(key, deep=deep) for key, _ in node.value]
        duplicates = sorted({key for key in keys if keys.count(key) > 1})
        assert not duplicates, f"duplicate keys {duplicates} at {node.start_mark}"
        return super().construct_mapping(node, deep=deep)


def _text(name: str) -> str:
    return (resources.files("lawful.datamap") / "taxonomy" / f"{name}.yaml").read_text("utf-8")


@cache
def load(name: str) -> dict[str, dict[str, Any]]:
    data = yaml.safe_load(_text(name))
    assert isinstance(data, dict), f"taxonomy/{name}.yaml must be a mapping"
    return data


@cache
def dpv_terms() -> dict[str, dict[str, str]]:
    """Every DPV 2.3 term by its prefixed name (`dpv:Consent`, `pd:EmailAddress`)."""
    assert DPV_DIR.is_dir(), f"DPV vocabulary not found at {DPV_DIR} (shared/ sits beside the repo)"
    terms: dict[str, dict[str, str]] = {}
    for prefix, file in (("dpv", "dpv-2.3.csv"), ("pd", "pd-2.3.csv")):
        with (DPV_DIR / file).open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                terms[f"{prefix}:{row['term']}"] = row
    return terms


def _dpv_type(term: str) -> str:
    return dpv_terms()[term]["dpvtype"].rsplit("#", 1)[-1]


def _letters(entries: dict[str, dict[str, Any]], article: str) -> list[str]:
    pattern = re.compile(rf"^GDPR Art\. {re.escape(article)}\(([a-z])\)$")
    letters = []
    for key, entry in entries.items():
        match = pattern.match(entry["article"])
        assert match, (
            f"{key}: article `{entry['article']}` is not of the form GDPR Art. {article}(x)"
        )
        letters.append(match.group(1))
    return letters


@pytest.mark.parametrize("name", TAXONOMY_FILES)
def test_every_taxonomy_file_is_a_mapping_of_entries_without_duplicate_keys(name: str) -> None:
    yaml.load(_text(name), Loader=_UniqueKeyLoader)  # a SafeLoader subclass: safe
    entries = load(name)
    assert entries
    for key, entry in entries.items():
        pattern = CATEGORY_ID if name == "categories" else SNAKE_ID
        assert pattern.match(key), f"{name}: `{key}` is not a lowercase id"
        assert isinstance(entry, dict), f"{name}.{key} must be a mapping"
        assert isinstance(entry.get("name"), str), f"{name}.{key}: name"
        assert entry["name"].strip(), f"{name}.{key}: empty name"


def test_every_category_has_the_five_fields_with_allowed_values() -> None:
    for cid, entry in load("categories").items():
        assert set(entry) - OPTIONAL_CATEGORY_FIELDS == CATEGORY_FIELDS, f"{cid}: {sorted(entry)}"
        assert entry.get("free_text", False) in (True, False), f"{cid}: free_text"
        assert entry["sensitivity"] in SENSITIVITIES, f"{cid}: sensitivity {entry['sensitivity']}"
        description = entry["description"]
        assert isinstance(description, str), f"{cid}: description"
        assert description.endswith("."), f"{cid}: description must end with a full stop"
        assert "\n" not in description.strip(), f"{cid}: description must be one sentence"


def test_category_names_are_unique_so_notices_never_list_one_twice() -> None:
    names = [entry["name"].casefold() for entry in load("categories").values()]
    assert sorted({n for n in names if names.count(n) > 1}) == []


def test_every_parent_of_a_dotted_category_is_a_category() -> None:
    categories = load("categories")
    for cid in categories:
        parts = cid.split(".")
        for depth in range(1, len(parts)):
            parent = ".".join(parts[:depth])
            assert parent in categories, f"{cid}: parent `{parent}` is missing"


def test_every_ccpa_value_is_a_key_of_ccpa_categories() -> None:
    ccpa = load("ccpa_categories")
    for cid, entry in load("categories").items():
        assert entry["ccpa"] in ccpa, f"{cid}: unknown CCPA category `{entry['ccpa']}`"


def test_ccpa_categories_are_paragraphs_a_to_l_of_section_1798_140_v_1() -> None:
    citations = [entry["citation"] for entry in load("ccpa_categories").values()]
    assert citations == [f"Cal. Civ. Code §1798.140(v)(1)({letter})" for letter in "ABCDEFGHIJKL"]
    assert set(load("ccpa_categories")) >= {"identifiers", "sensitive_pi", "inferences"}


@pytest.mark.parametrize("name", FILES_WITH_DPV_TERMS)
def test_every_entry_maps_to_an_existing_dpv_term(name: str) -> None:
    for key, entry in load(name).items():
        term = entry.get("dpv")
        assert isinstance(term, str), f"{name}.{key}: no dpv term"
        assert term in dpv_terms(), f"{name}.{key}: `{term}` is not in DPV 2.3"


def test_every_category_maps_to_a_dpv_personal_data_term() -> None:
    for cid, entry in load("categories").items():
        term = entry["dpv"]
        personal = term.startswith("pd:") or term == "dpv:SpecialCategoryPersonalData"
        assert personal, f"{cid}: `{term}` is not a DPV personal-data category"


def test_every_purpose_maps_to_a_dpv_purpose() -> None:
    for pid, entry in load("purposes").items():
        assert _dpv_type(entry["dpv"]) == "Purpose", f"{pid}: `{entry['dpv']}` is not a purpose"
        assert entry["description"].endswith("."), f"{pid}: description"


def test_every_subject_type_maps_to_a_dpv_human_subject() -> None:
    for sid, entry in load("subjects").items():
        term = entry["dpv"]
        human = term == "dpv:DataSubject" or _dpv_type(term) == "HumanSubject"
        assert human, f"{sid}: `{term}` is not a DPV kind of person"


def test_every_subject_type_has_a_whole_default_minimum_age() -> None:
    subjects = load("subjects")
    for sid, entry in subjects.items():
        age = entry["default_minimum_age"]
        assert isinstance(age, int), f"{sid}: default_minimum_age {age!r}"
        assert 0 <= age <= 120, f"{sid}: default_minimum_age {age}"
    assert subjects["applicant"]["default_minimum_age"] == 18
    assert subjects["employee"]["default_minimum_age"] == 18
    # GDPR Art. 8(1): 16 unless a member state lowers it.
    assert subjects["website_visitor"]["default_minimum_age"] == 16
    assert subjects["user"]["default_minimum_age"] == 16


def test_subject_types_cover_the_people_contact_centres_and_recruiters_deal_with() -> None:
    expected = {
        "applicant",
        "employee",
        "contractor",
        "customer",
        "prospect",
        "user",
        "website_visitor",
        "client_customer",
        "caller",
        "emergency_contact",
        "dependant",
        "supplier_contact",
    }
    assert expected <= set(load("subjects"))


def test_gdpr_article_9_categories_are_special() -> None:
    categories = load("categories")
    for cid in ARTICLE_9_CATEGORIES:
        assert categories[cid]["sensitivity"] == "special", cid


def test_every_category_under_special_is_special() -> None:
    for cid, entry in load("categories").items():
        if cid == "special" or cid.startswith("special."):
            assert entry["sensitivity"] == "special", cid


def test_criminal_records_and_background_checks_are_criminal() -> None:
    categories = load("categories")
    for cid in CRIMINAL_CATEGORIES:
        assert categories[cid]["sensitivity"] == "criminal", cid


def test_cpra_sensitive_personal_information_is_sensitive_pi() -> None:
    categories = load("categories")
    for cid in CPRA_SENSITIVE_CATEGORIES:
        assert categories[cid]["sensitivity"] == "sensitive_pi", cid


def test_sensitive_pi_categories_are_filed_under_ccpa_sensitive_pi() -> None:
    for cid, entry in load("categories").items():
        if entry["sensitivity"] == "sensitive_pi":
            assert entry["ccpa"] == "sensitive_pi", cid


def test_ordinary_identifiers_and_contact_details_are_not_sensitive() -> None:
    categories = load("categories")
    for cid in ("name", "contact.email", "identifier.caller_id", "identifier.ip_address"):
        assert categories[cid]["sensitivity"] == "ordinary", cid


def test_taxonomy_covers_what_contact_centres_and_recruiters_collect() -> None:
    missing = [cid for cid in MUST_HAVE_CATEGORIES if cid not in load("categories")]
    assert missing == []


def test_legal_bases_cover_exactly_article_6_1_a_to_f() -> None:
    bases = load("legal_bases")
    assert sorted(_letters(bases, "6(1)")) == list("abcdef")
    assert set(bases) == {
        "consent",
        "contract",
        "legal_obligation",
        "vital_interests",
        "public_task",
        "legitimate_interests",
    }
    assert bases["consent"]["dpv"] == "dpv:Consent"
    assert bases["legitimate_interests"]["dpv"] == "dpv:LegitimateInterest"
    for key, entry in bases.items():
        assert _dpv_type(entry["dpv"]) == "LegalBasis", f"{key}: `{entry['dpv']}`"


def test_special_conditions_cover_exactly_article_9_2_a_to_j() -> None:
    conditions = load("special_conditions")
    assert sorted(_letters(conditions, "9(2)")) == list("abcdefghij")
    assert {"explicit_consent", "employment_social_security", "legal_claims"} <= set(conditions)
    for key, entry in conditions.items():
        assert entry["description"].endswith("."), key


def test_criminal_conditions_all_rest_on_article_10() -> None:
    conditions = load("criminal_conditions")
    assert {"authorised_by_law", "official_authority", "legal_claims"} <= set(conditions)
    for key, entry in conditions.items():
        assert entry["article"].startswith("GDPR Art. 10"), key
        assert entry["description"].endswith("."), key
