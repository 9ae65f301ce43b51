"""The breach register's console forms: open, update and record a notification; every
mistake named at once beside its field, nothing stored; each change in the audit trail;
only privacy officers and administrators write."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from lawful.auth.models import Role
from lawful.breach.models import Incident, IncidentStatus, Risk
from lawful.store.audit import AuditEntry
from lawful.store.models import utcnow

from .conftest import TestClient, Web, csrf

FIELD_ERROR = re.compile(r'<p class="field-error" id="([a-z_]+)-error">')


def _entries(web: Web, action: str) -> list[AuditEntry]:
    with web.platform.sessions() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _incident(web: Web, reference: str) -> Incident:
    with web.platform.sessions() as session:
        found = session.scalars(select(Incident).where(Incident.reference == reference)).one()
        session.expunge(found)
        return found


def _at(hours_ago: float) -> str:
    return f"{utcnow() - timedelta(hours=hours_ago):%Y-%m-%dT%H:%M}"


def _open(web: Web, officer: TestClient, hours_ago: float = 5) -> str:
    page = officer.get("/admin/breaches/new")
    opened = officer.post("/admin/breaches", data={
        "csrf_token": csrf(page), "title": "Stolen laptop", "became_aware_at": _at(hours_ago),
        "datasets": ["candidates"], "kinds": ["confidentiality"],
        "nature": "A laptop with ATS exports was stolen.",
    })  # fmt: skip
    assert opened.status_code == 303, opened.text
    return str(opened.headers["location"]).rsplit("/", 1)[1]


def test_a_wrong_open_form_names_every_mistake_beside_its_field_and_stores_nothing(
    web: Web,
) -> None:
    officer = web.signed_in(Role.privacy_officer)
    page = officer.get("/admin/breaches/new")
    refused = officer.post("/admin/breaches", data={
        "csrf_token": csrf(page), "title": "", "became_aware_at": "next tuesday",
        "datasets": ["candidates", "no_such_table"], "kinds": ["theft"],
        "reported_by": "not-a-processor",
    })  # fmt: skip
    assert refused.status_code == 422
    assert set(FIELD_ERROR.findall(refused.text)) == {
        "title",
        "became_aware_at",
        "datasets",
        "kinds",
        "reported_by",
    }
    assert "is not a date and time: write it as 2026-12-07T10:30 (UTC)" in refused.text
    assert "Unknown dataset: no_such_table" in refused.text
    future = officer.post("/admin/breaches", data={
        "csrf_token": csrf(page), "title": "Later", "became_aware_at": _at(-3),
        "datasets": ["candidates"],
    })  # fmt: skip
    assert FIELD_ERROR.findall(future.text) == ["became_aware_at"]
    assert "in the future" in future.text
    with web.platform.sessions() as session:
        assert session.scalars(select(Incident)).all() == []
    assert _entries(web, "breach.opened") == []


def test_an_officer_opens_updates_and_records_notifications_each_audited(web: Web) -> None:
    officer = web.signed_in(Role.privacy_officer)
    reference = _open(web, officer)
    page = officer.get(f"/admin/breaches/{reference}")
    assert "72-hour clock (GDPR Art. 33(1))" in page.text
    assert re.search(r"(66|67) h \d\d min left", page.text)
    [opened] = _entries(web, "breach.opened")
    assert opened.subject_id == reference
    assert opened.actor.startswith("staff:")
    edit = officer.get(f"/admin/breaches/{reference}/edit")
    assert 'value="Stolen laptop"' in edit.text
    form = {
        "csrf_token": csrf(edit),
        "title": "Stolen laptop",
        "status": "contained",
        "risk": "high",
        "risk_reasoning": "Identity documents.",
        "nature": "Stolen at a fair.",
        "consequences": "Identity fraud.",
        "measures_taken": "Remote wipe.",
        "people_count": "120",
        "categories": ["contact.email"],
        "kinds": ["confidentiality"],
        "note": "after the police report",
    }
    bad = officer.post(f"/admin/breaches/{reference}/edit", data=form | {
        "people_count": "about 120", "occurred_from": _at(2), "occurred_until": _at(4),
        "risk": "huge", "title": "",
    })  # fmt: skip
    assert bad.status_code == 422
    assert set(FIELD_ERROR.findall(bad.text)) == {"people_count", "occurred_until", "risk", "title"}
    assert _incident(web, reference).status is IncidentStatus.open
    saved = officer.post(f"/admin/breaches/{reference}/edit", data=form)
    assert saved.status_code == 303, saved.text
    stored = _incident(web, reference)
    assert (stored.status, stored.risk, stored.people_count) == (
        IncidentStatus.contained,
        Risk.high,
        120,
    )
    assert stored.categories == ["contact.email"]
    [updated] = _entries(web, "breach.updated")
    assert {"status", "risk", "people_count", "categories", "consequences"} <= set(
        updated.details["changed"]
    )
    assert "Identity fraud." not in str(updated.details)  # field names, never their text
    page = officer.get(f"/admin/breaches/{reference}")
    assert "to tell without undue delay" in page.text  # Art. 34(1): high risk
    notify = {"csrf_token": csrf(page), "audience": "authority", "notified_at": _at(1),
              "channel": "the authority's online form", "authority_reference": "CNIL-42"}  # fmt: skip
    missing = officer.post(f"/admin/breaches/{reference}/notify",
                           data=notify | {"channel": "", "notified_at": ""})  # fmt: skip
    assert set(FIELD_ERROR.findall(missing.text)) == {"channel", "notified_at"}
    done = officer.post(f"/admin/breaches/{reference}/notify", data=notify)
    assert done.status_code == 303, done.text
    again = officer.post(f"/admin/breaches/{reference}/notify", data=notify)
    assert again.status_code == 422
    assert "already recorded" in again.text
    people = officer.post(f"/admin/breaches/{reference}/notify", data=notify | {
        "audience": "people", "channel": "email to each person",
    })  # fmt: skip
    assert people.status_code == 303
    stored = _incident(web, reference)
    assert stored.authority_reference == "CNIL-42"
    assert stored.authority_notified_at is not None
    assert stored.people_notified_at is not None
    notified = _entries(web, "breach.notified")
    assert [(e.details["audience"], e.details["channel"]) for e in notified] == [
        ("authority", "the authority's online form"),
        ("people", "email to each person"),
    ]
    assert "notified in time" in officer.get(f"/admin/breaches/{reference}").text


def test_a_late_notification_of_the_authority_needs_the_reasons_for_the_delay(web: Web) -> None:
    officer = web.signed_in(Role.privacy_officer)
    reference = _open(web, officer, hours_ago=100)
    page = officer.get(f"/admin/breaches/{reference}")
    assert "overdue" in page.text
    notify = {"csrf_token": csrf(page), "audience": "authority", "notified_at": _at(1),
              "channel": "online form"}  # fmt: skip
    late = officer.post(f"/admin/breaches/{reference}/notify", data=notify)
    assert late.status_code == 422
    assert FIELD_ERROR.findall(late.text) == ["delay_reasons"]
    assert _incident(web, reference).authority_notified_at is None
    ok = officer.post(f"/admin/breaches/{reference}/notify",
                      data=notify | {"delay_reasons": "The scope took four days to establish."})  # fmt: skip
    assert ok.status_code == 303
    assert "notified late" in officer.get(f"/admin/breaches/{reference}").text


def test_analysts_and_auditors_read_the_register_but_cannot_write_it(web: Web) -> None:
    officer = web.signed_in(Role.privacy_officer)
    reference = _open(web, officer)
    for role in (Role.analyst, Role.auditor):
        reader = web.signed_in(role)
        page = reader.get(f"/admin/breaches/{reference}")
        assert page.status_code == 200
        assert "Record a notification" not in page.text
        assert "Open an incident" not in page.text
        assert reader.get("/admin/breaches/new").status_code == 403
        refused = reader.post(f"/admin/breaches/{reference}/notify", data={
            "csrf_token": csrf(page), "audience": "authority", "notified_at": _at(1),
            "channel": "x",
        })  # fmt: skip
        assert refused.status_code == 403
    assert _entries(web, "breach.notified") == []


def test_hostile_input_is_shown_as_text_and_forms_without_their_token_are_refused(
    web: Web,
) -> None:
    officer = web.signed_in(Role.privacy_officer)
    page = officer.get("/admin/breaches/new")
    hostile = {
        "title": '<script>alert("x")</script>' + "é" * 10,
        "became_aware_at": _at(2),
        "datasets": ["candidates"],
        "nature": '"><img src=x onerror=alert(1)>' + "\u202e",
    }
    opened = officer.post("/admin/breaches", data={"csrf_token": csrf(page)} | hostile)
    assert opened.status_code == 303, opened.text
    reference = str(opened.headers["location"]).rsplit("/", 1)[1]
    shown = officer.get(f"/admin/breaches/{reference}")
    assert "<script>alert" not in shown.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in shown.text
    assert "<img src=x" not in shown.text
    too_long = officer.post("/admin/breaches", data={"csrf_token": csrf(page)} | hostile | {
        "title": "x" * 201, "nature": "y" * 10_001, "became_aware_at": "9" * 5000,
    })  # fmt: skip
    assert too_long.status_code == 422
    assert set(FIELD_ERROR.findall(too_long.text)) == {"title", "nature", "became_aware_at"}
    assert f"“{'9' * 40}” is not a date and time" in too_long.text  # quoted, cut to 40
    nul = officer.post("/admin/breaches", data={"csrf_token": csrf(page)} | hostile | {
        "nature": "a NUL\x00 byte", "title": "Escape\x1b[31m",
    })  # fmt: skip
    assert nul.status_code == 422
    assert set(FIELD_ERROR.findall(nul.text)) == {"title", "nature"}
    assert "invisible control character" in nul.text
    for headers, token in (({}, None), ({"Sec-Fetch-Site": "cross-site"}, csrf(page))):
        data = {"audience": "authority", "notified_at": _at(1), "channel": "x"}
        if token:
            data["csrf_token"] = token
        refused = officer.post(f"/admin/breaches/{reference}/notify", data=data, headers=headers)
        assert refused.status_code == 403
        run = officer.post("/admin/retention/run", data=data, headers=headers)
        assert run.status_code == 403
    assert _entries(web, "breach.notified") == []
    assert _entries(web, "retention.sweep_requested") == []


def test_an_officer_counts_the_people_affected_through_the_connectors(
    make_web: Callable[..., Web], company_files: Path, tmp_path: Path
) -> None:
    web = make_web(datastore_dir=company_files)
    officer = web.signed_in(Role.privacy_officer)
    reference = _open(web, officer)
    page = officer.get(f"/admin/breaches/{reference}")
    assert "not counted yet" in page.text
    counted = officer.post(f"/admin/breaches/{reference}/count", data={"csrf_token": csrf(page)})
    assert counted.status_code == 303
    stored = _incident(web, reference)
    assert stored.people_count is not None
    assert stored.people_count > 0
    assert stored.records_count["candidates"] > 0
    [entry] = _entries(web, "breach.counted")
    assert entry.details["people"] == stored.people_count
    assert f"{stored.people_count:,} (counted" in officer.get(f"/admin/breaches/{reference}").text
    unreachable = make_web(datastore_dir=tmp_path / "nowhere")
    other = unreachable.browser()  # the same store: another officer
    email = unreachable.staff(Role.privacy_officer, email="second.officer@staff.example")
    assert unreachable.sign_in(email, client=other).status_code == 303
    elsewhere = _open(unreachable, other)
    page = other.get(f"/admin/breaches/{elsewhere}")
    refused = other.post(f"/admin/breaches/{elsewhere}/count", data={"csrf_token": csrf(page)})
    assert refused.status_code == 422
    assert FIELD_ERROR.findall(refused.text) == ["count"]
    assert "The count could not be made:" in refused.text


def test_as_a_processor_we_tell_our_clients_and_no_authority_clock_runs(web: Web) -> None:
    officer = web.signed_in(Role.privacy_officer)
    page = officer.get("/admin/breaches/new")
    opened = officer.post("/admin/breaches", data={
        "csrf_token": csrf(page), "title": "Call recordings exposed", "role": "processor",
        "became_aware_at": _at(3), "datasets": ["candidates"],
    })  # fmt: skip
    assert opened.status_code == 303, opened.text
    reference = str(opened.headers["location"]).rsplit("/", 1)[1]
    page = officer.get(f"/admin/breaches/{reference}")
    assert "Clock (GDPR Art. 33(2))" in page.text
    assert "tell the controller without undue delay" in page.text
    select = page.text[page.text.index('id="audience"') :]
    options = re.findall(r'<option value="(\w+)"', select[: select.index("</select>")])
    assert options == ["clients"]  # no authority, no people: the controller tells them
    told = officer.post(f"/admin/breaches/{reference}/notify", data={
        "csrf_token": csrf(page), "audience": "clients", "notified_at": _at(1),
        "channel": "email to the client's DPO",
    })  # fmt: skip
    assert told.status_code == 303
    assert _incident(web, reference).clients_notified_at is not None
    assert "controller told 2 h" in officer.get(f"/admin/breaches/{reference}").text
