"""A job applicant asks for their data in the privacy center, confirms the mailed code, a
privacy officer approves in the admin console, and the applicant downloads a ZIP that holds
their rows — every one of them, and no one else's."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from lawful.engine.package import REDACTED

from .conftest import EMAIL, Person, Rows, Service, Staff, an_applicant_known_only_to_recruitment

# Everything recruitment holds about one applicant, read straight from the ATS (the ground
# truth the package is compared with).
APPLICANT_ROWS = {
    "candidates": "candidate_id = :c",
    "applications": "candidate_id = :c",
    "interviews": "application_id IN (SELECT application_id FROM applications WHERE candidate_id = :c)",
    "background_checks": "candidate_id = :c",
    "equal_opportunity_surveys": "candidate_id = :c",
    "id_proofs": "candidate_id = :c",
}


def applicant_rows(service: Service, candidate: int) -> dict[str, Rows]:
    return {
        dataset: service.rows(dataset, where, c=candidate)
        for dataset, where in APPLICANT_ROWS.items()
    }


def as_packaged(service: Service, dataset: str, row: dict[str, Any]) -> dict[str, Any]:
    """A database row as the package shows it: fields about others redacted (Art. 15(4))."""
    fields = service.datamap.datasets[dataset].fields
    return {
        name: REDACTED if fields[name].about_others and value is not None else value
        for name, value in row.items()
    }


def linked_to_person(
    service: Service,
    dataset: str,
    record: dict[str, Any],
    email: str,
    packaged: dict[str, set[Any]],
) -> bool:
    """The record carries the person's email, or points at one of their packaged records."""
    spec = service.datamap.datasets[dataset]
    columns = [c for c in spec.identities.values() if isinstance(c, str)]
    if any(record.get(column) == email for column in columns):
        return True
    for name, field in spec.fields.items():
        if field.references is not None:
            parent, _, _ = field.references.to.partition(".")
            if record.get(name) in packaged.get(parent, set()):
                return True
    return False


def test_an_applicant_downloads_a_package_with_their_rows_and_only_theirs(
    service: Service,
    person: Callable[[str], Person],
    privacy_officer: Staff,
    screenshot: Callable[[Page, str], Path],
) -> None:
    candidate, email = an_applicant_known_only_to_recruitment(service)
    expected = applicant_rows(service, candidate)
    others = set(service.emails()) - {email}
    applicant = person(email)

    reference = applicant.make_request("access")
    applicant.confirm_identity()
    privacy_officer.approve(reference)
    screenshot(privacy_officer.page, "access-admin-approved")
    assert "Your data is ready" in applicant.answer()
    applicant.open_download_page()
    content = applicant.download()
    screenshot(applicant.page, "access-download-page")

    archive = zipfile.ZipFile(io.BytesIO(content))
    assert "report.html" in archive.namelist()  # the human-readable part, Art. 15(1)
    data = json.loads(archive.read("data.json"))
    packaged = {d["id"]: d["records"] for d in data["datasets"]}
    assert packaged.keys() == expected.keys()
    keys = {
        ds: {r[service.datamap.datasets[ds].primary_key] for r in records}
        for ds, records in packaged.items()
    }
    for dataset, rows in expected.items():
        assert keys[dataset] == set(rows), dataset
        pk = service.datamap.datasets[dataset].primary_key
        by_key = {record[pk]: record for record in packaged[dataset]}
        for key, row in rows.items():
            assert by_key[key] == as_packaged(service, dataset, row), (dataset, key)
        assert all(linked_to_person(service, dataset, r, email, keys) for r in packaged[dataset])
        with archive.open(f"{dataset}.csv") as table:
            assert len(list(csv.DictReader(io.TextIOWrapper(table, "utf-8")))) == len(rows)
    texts = " ".join(archive.read(name).decode() for name in archive.namelist())
    assert email in texts
    assert {e.lower() for e in EMAIL.findall(texts)}.isdisjoint(others)
