"""The markers API for systems that poll: scope `markers:read`, changes since a cursor,
markers in force as JSON or CSV; identities only in the answer, every read audited."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

from sqlalchemy import select

from lawful.auth.models import Role
from lawful.consent.service import check_consent
from lawful.markers.models import MarkerChange, MarkerKind
from lawful.markers.service import PersonInDataset, lift_marker, place_marker
from lawful.requests.intake import Intake
from lawful.requests.service import submit_request
from lawful.store.audit import AuditEntry
from lawful.store.tasks import JOBS_LANE

from .conftest import Web, csrf

# Adversarial values: a formula for spreadsheets, markup, quotes and a non-Latin name.
EVIL = '=HYPERLINK("http://x")<script>"\'é李'


@dataclass
class Recorder:
    ids: list[str] = field(default_factory=list)

    def dispatch(self, task_ids: list[str], *, lane: str = JOBS_LANE) -> None:
        self.ids.extend(task_ids)


def _bearer(web: Web, *scopes: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {web.api_token(*scopes)}"}


def _place(web: Web, dataset: str, email: str, *, lift: bool = False) -> None:
    person = PersonInDataset(dataset, f"email={email}", {"email": [email]}, [email])
    with web.platform.sessions() as session:
        common = {"keyring": web.platform.keyring, "datamap": web.platform.datamap,
                  "queue": Recorder(), "person": person, "kind": MarkerKind.restriction,
                  "actor": "staff:dpo"}  # fmt: skip
        if lift:
            lift_marker(session, **common)  # type: ignore[arg-type]
        else:
            place_marker(session, reason="legal_claims", **common)  # type: ignore[arg-type]
        session.commit()


def test_the_markers_api_needs_a_token_with_the_markers_scope(web: Web) -> None:
    assert web.client.get("/api/v1/markers/changes").status_code == 401
    wrong = web.client.get("/api/v1/markers/changes", headers=_bearer(web, "audit:read"))
    assert wrong.status_code == 403


def test_changes_since_a_cursor_page_through_placements_and_lifts(web: Web) -> None:
    headers = _bearer(web, "markers:read")
    _place(web, "candidates", "ann@example.org")
    _place(web, "employees", "bob@example.org")
    _place(web, "candidates", "ann@example.org", lift=True)
    first = web.client.get("/api/v1/markers/changes?dataset=candidates&limit=1", headers=headers)
    assert first.status_code == 200, first.text
    [placed] = first.json()["changes"]
    assert placed["action"] == "placed"
    assert placed["identities"] == {"email": ["ann@example.org"]}
    cursor = first.json()["next_cursor"]
    second = web.client.get(
        f"/api/v1/markers/changes?dataset=candidates&cursor={cursor}", headers=headers
    ).json()
    assert [c["action"] for c in second["changes"]] == ["lifted"]
    done = web.client.get(
        f"/api/v1/markers/changes?dataset=candidates&cursor={second['next_cursor']}",
        headers=headers,
    ).json()
    assert done == {"changes": [], "next_cursor": second["next_cursor"]}
    everything = web.client.get("/api/v1/markers/changes", headers=headers).json()["changes"]
    assert {c["dataset"] for c in everything} == {"candidates", "employees"}


def test_markers_in_force_as_json_and_csv_without_formulas(web: Web) -> None:
    headers = _bearer(web, "markers:read")
    _place(web, "candidates", EVIL)
    _place(web, "candidates", "gone@example.org")
    _place(web, "candidates", "gone@example.org", lift=True)
    page = web.client.get("/api/v1/markers?dataset=candidates", headers=headers).json()
    assert [m["identities"]["email"] for m in page["markers"]] == [[EVIL]]
    assert page["next_after"] is None
    response = web.client.get("/api/v1/markers?dataset=candidates&format=csv", headers=headers)
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["cache-control"] == "no-store"
    [row] = list(csv.DictReader(io.StringIO(response.text)))
    assert row["identities"].startswith("{")  # JSON, never a formula
    assert json.loads(row["identities"]) == {"email": [EVIL]}


def test_an_unknown_dataset_names_the_known_ones(web: Web) -> None:
    response = web.client.get("/api/v1/markers?dataset=nope", headers=_bearer(web, "markers:read"))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["field"] == "dataset"
    assert "candidates" in error["message"]


def test_every_read_is_audited_without_identities(web: Web) -> None:
    _place(web, "candidates", "ann@example.org")
    web.client.get("/api/v1/markers?dataset=candidates", headers=_bearer(web, "markers:read"))
    with web.platform.sessions() as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "markers.read")
        ).all()
    assert [e.details["count"] for e in entries] == [1]
    assert "ann@example.org" not in json.dumps([e.details for e in entries])


def test_the_markers_page_lists_changes_and_records_a_manual_telling(web: Web) -> None:
    _place(web, "candidates", "ann@example.org")  # the ATS is told by hand (`notify: manual`)
    officer = web.signed_in(Role.privacy_officer)
    page = officer.get("/admin/markers")
    assert page.status_code == 200
    assert "1 change to tell by hand" in page.text
    assert "ann@example.org" not in page.text  # no identity on the page
    with web.platform.sessions() as session:
        [seq] = session.scalars(select(MarkerChange.seq)).all()
    told = officer.post(f"/admin/markers/changes/{seq}/told", data={"csrf_token": csrf(page)})
    assert told.status_code == 303
    after = officer.get("/admin/markers").text
    assert "to tell by hand" not in after
    assert "Told by" in after
    with web.platform.sessions() as session:
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.action == "marker.told")
        ).all()
    assert actions == ["marker.told"]


def test_a_reader_cannot_record_a_manual_telling(web: Web) -> None:
    _place(web, "candidates", "ann@example.org")
    reader = web.signed_in(Role.auditor)
    page = reader.get("/admin/markers")
    with web.platform.sessions() as session:
        [seq] = session.scalars(select(MarkerChange.seq)).all()
    refused = reader.post(f"/admin/markers/changes/{seq}/told", data={"csrf_token": csrf(page)})
    assert refused.status_code == 403
    with web.platform.sessions() as session:
        assert session.get(MarkerChange, seq).told_by is None  # type: ignore[union-attr]


def test_closing_an_objection_on_its_page_writes_the_upheld_purposes(web: Web) -> None:
    email = "objects@people.example"
    with web.platform.sessions() as session:
        intake = Intake(request_type="objection", email=email, country="FR")
        reference = submit_request(session, ctx=web.platform.requests, intake=intake)
        session.commit()
    web.settle()
    officer = web.signed_in(Role.privacy_officer)
    for action, form in (("confirm-identity", {"how": "call back"}), ("approve", {})):
        page = officer.get(f"/admin/requests/{reference.request.reference}")
        done = officer.post(f"/admin/requests/{reference.request.reference}/{action}",
                            data={"csrf_token": csrf(page), **form})  # fmt: skip
        assert done.status_code == 303, done.text
    web.settle()
    page = officer.get(f"/admin/requests/{reference.request.reference}")
    assert 'name="objected" value="customer_relationship"' in page.text
    assert 'value="billing"' not in page.text  # contract: not open to objection
    closed = officer.post(
        f"/admin/requests/{reference.request.reference}/complete",
        data={"csrf_token": csrf(page), "note": "Upheld.", "objected": "customer_relationship"},
    )
    assert closed.status_code == 303, closed.text
    with web.platform.sessions() as session:
        decision = check_consent(session, datamap=web.platform.datamap,
                                 keyring=web.platform.keyring, subject=f"email:{email}",
                                 purpose="customer_relationship", channel="email")  # fmt: skip
    assert decision.reason == "objected"


def test_the_audit_trail_reads_marker_entries_as_sentences(web: Web) -> None:
    _place(web, "candidates", "ann@example.org")
    web.client.get("/api/v1/markers?dataset=candidates", headers=_bearer(web, "markers:read"))
    page = web.signed_in(Role.privacy_officer).get("/admin/audit").text
    assert "Restriction (legal claims) placed on dataset candidates" in page
    assert "its system is told by staff" in page
    assert "A system read 1 marker in force through the markers API" in page
