"""A request's timeline, result and audit entries read as sentences, built from the stored
facts (`lawful.requests.sentences`): never a Python repr or a JSON escape."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from lawful.datamap.loader import load_datamap
from lawful.datamap.models import DataMap
from lawful.http.sentences import describe, generic
from lawful.requests.sentences import audit_sentence, event_line, result_lines

EXAMPLE_MAP = Path(__file__).parents[2] / "examples" / "contact-center" / "lawful.yaml"
AT = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
REPR = re.compile(r"=\[|=\{|\{'|\['|\bNone\b|\\u[0-9a-f]{4}")


@pytest.fixture(scope="module")
def datamap() -> DataMap:
    return load_datamap(EXAMPLE_MAP).datamap


@pytest.mark.parametrize(
    ("action", "details", "text", "notes"),
    [
        ("received", {"channel": "web", "jurisdictions": ["gdpr", "fr", "gr"],
                      "respond_by": "2027-01-07", "verification": "email_code"},
         "Received by web; to answer by 7 Jan 2027",
         ("Laws: GDPR (EU), LIL (France), Law 4624/2019 (Greece)",
          "Proof of identity asked: email code")),
        ("received", {"channel": "api", "agent": "Consumer Reports", "jurisdictions": []},
         "Received by api, from authorized agent Consumer Reports", ("No privacy law applies",)),
        ("extended", {"amount": 1, "unit": "months", "respond_by": "2027-02-07"},
         "Deadline extended by 1 month: answer by 7 Feb 2027", ()),
        ("extended", {"amount": 45, "unit": "days", "respond_by": "2027-03-01"},
         "Deadline extended by 45 days: answer by 1 Mar 2027", ()),
        ("denied", {"reason": "identity_not_verified"}, "Denied: ", ()),
        ("verified", {"level": "email_code", "how": "email code"},
         "Identity confirmed (email code)", ()),
        ("data_points_short", {"matched": 1, "needed": 2},
         "Only 1 of the 2 details needed matched the records held: staff decide", ()),
        ("expired", {"days": 30}, "Closed: the person did not confirm it within 30 days", ()),
        ("completed", {"summary": {"records": 6, "changed": 4, "kept": 2}},
         "Completed: 6 records found, 4 changed, 2 kept", ()),
        ("execution_failed", {"problems": ["dataset invoices: database is locked"]},
         "The run stopped on 1 problem", ("dataset invoices: database is locked",)),
        ("mail_sent", {"mail": "extension"}, "Mailed the extension notice", ()),
        ("mail_failed", {"job": "requests.mail", "mail": "receipt", "error": "refused"},
         "Could not send the receipt", ("Error: refused",)),
        ("job_failed", {"job": "requests.execute", "error": "gone"},
         "Run of a request through the data stores: gave up after its last attempt",
         ("Error: gone",)),
        ("awaiting_staff", {"clients": ["lumiere"]},
         "Waiting for staff to send it on to Lumière Énergie SA", ()),
        ("forward_recorded", {"client": "lumiere", "channel": "portal", "note": "the form"},
         "Recorded as sent on to Lumière Énergie SA by portal", ("the form",)),
        ("assigned", {"assignee": "Marie Dupont", "previous": "Ann Lee"},
         "Given to Marie Dupont (before: Ann Lee)", ()),
        ("unassigned", {"previous": "Ann Lee"},
         "No longer given to anyone (before: Ann Lee)", ()),
        ("note_added", {"note": "0" * 32, "length": 42}, "Added a staff note (42 characters)", ()),
        ("documents_deleted", {"count": 2}, "Deleted 2 identity documents", ()),
        ("package_stored", {"package": "0" * 32, "size": 2048},
         "Prepared the person's data for download (2 KB)", ()),
    ],
)  # fmt: skip
def test_each_timeline_event_reads_as_a_sentence_from_its_details(
    datamap: DataMap, action: str, details: dict[str, Any], text: str, notes: tuple[str, ...]
) -> None:
    line = event_line(AT, "policy", action, details, datamap)
    assert line.text.startswith(text)
    assert line.notes == notes
    assert not REPR.search(line.text + " ".join(line.notes))
    assert line.raw == ""  # every known event has its words


def test_an_event_without_words_keeps_its_details_pretty_printed_with_their_accents(
    datamap: DataMap,
) -> None:
    line = event_line(AT, "policy", "new_thing", {"client": "Lumière", "n": [1, 2]}, datamap)
    assert line.text == "New thing"
    assert '"client": "Lumière"' in line.raw
    assert '  "n": [\n' in line.raw  # indented, not one line


def test_a_result_reads_as_what_was_found_changed_kept_and_sent_on(datamap: DataMap) -> None:
    result = {
        "job": "f" * 32,
        "records": 6,
        "datasets": {"customers": 4, "payment_cards": 2},
        "changed": 3,
        "kept_records": [{"dataset": "invoices", "why": "tax law (Code général des impôts)",
                          "until": "2036-12-31"}],
        "manual_datasets": ["interviews"],
        "failed": 1,
        "forwards": [
            {"client": "lumiere", "client_name": "Lumière Énergie SA", "status": "recorded",
             "channel": "portal", "sent_at": "2026-12-07T10:30:00+00:00"},
            {"client": "brightpath", "client_name": "Brightpath Mobile", "status": "open",
             "method": "email"},
        ],
        "handled_by_staff": True,
        "note": "Told the person by phone.",
    }  # fmt: skip
    lines = result_lines(result, datamap)
    assert lines == [
        "Found 6 records in 2 datasets: Customers (4), Payment cards (2).",
        "Changed or erased 3 records.",
        "Kept 1 record, as the law requires:",
        "Invoices: tax law (Code général des impôts) (until 31 Dec 2036)",
        "To do by hand in 1 dataset: Interviews.",
        "Could not be done in 1 dataset.",
        "Sent on to Lumière Énergie SA by portal on 7 Dec 2026.",
        "To send on to Brightpath Mobile by hand (email).",
        "Handled by staff: Told the person by phone.",
    ]
    assert "f" * 32 not in " ".join(lines)  # the engine's job id names nothing a person knows


def test_audit_entries_read_in_the_words_of_the_domain_that_wrote_them(
    datamap: DataMap,
) -> None:
    approved = {"reference": "R7KQ2", "type": "erasure", "from": "verified", "to": "approved"}
    assert audit_sentence("request.approved", approved, datamap) == (
        "Request R7KQ2 (erasure): Approved"
    )
    purged = {"requests": ["a" * 32, "b" * 32], "packages": 1}
    assert audit_sentence("request.purged", purged, datamap) == (
        "Purged 2 request records past their 24 months and 1 download package"
    )
    assert audit_sentence("legal_hold.placed", {}, datamap) is None  # not the requests domain's
    hold = {"hold": "c" * 32, "scope": "person", "datasets": ["invoices", "contracts"],
            "active": True, "counts": {"invoices": 3}}  # fmt: skip
    text = describe("legal_hold.placed", hold, datamap, (audit_sentence,))
    assert text == (
        "Legal hold placed: scope: person; datasets: invoices, contracts; active: yes; "
        "counts: invoices 3"
    )
    assert generic("api_token.created", {}) == "API token created"
