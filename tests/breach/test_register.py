"""The breach register: incidents opened and updated in phases (GDPR Art. 33(4)), counted
through the connectors, with every change in the audit trail (which fields, never the text);
and the Art. 33/34 decision on who must be told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from lawful.breach.assessment import assess
from lawful.breach.errors import IncidentNotFoundError, InvalidIncidentError
from lawful.breach.models import IncidentStatus, OurRole, Risk
from lawful.breach.service import (
    Changes,
    count_affected,
    get_incident,
    incident_clock,
    list_people,
    open_incident,
    update_incident,
)
from lawful.datamap.loader import load_datamap
from lawful.datamap.models import DataMap
from lawful.store.audit import AuditEntry, verify_chain

EXAMPLE = Path(__file__).parents[2] / "examples" / "contact-center" / "lawful.yaml"
AWARE = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
NOW = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
Company = Any  # tests/conftest.py: ExampleCompany


@pytest.fixture(scope="module")
def datamap() -> DataMap:
    return load_datamap(EXAMPLE).datamap


def _open(session: Session, datamap: DataMap, **given: Any) -> Any:
    arguments: dict[str, Any] = {
        "title": "Stolen laptop",
        "became_aware_at": AWARE,
        "actor": "staff:1",
        "systems": ["ats"],
        "at": NOW,
    } | given
    return open_incident(session, datamap=datamap, **arguments)


def test_incidents_are_numbered_per_year_and_cover_every_dataset_of_their_systems(
    platform_sessions: sessionmaker[Session], datamap: DataMap
) -> None:
    with platform_sessions() as session:
        first = _open(session, datamap)
        second = _open(session, datamap, systems=[], datasets=["prospects"])
        assert (first.reference, second.reference) == ("BR-2026-0001", "BR-2026-0002")
        assert first.datasets == [d for d, ds in datamap.datasets.items() if ds.system == "ats"]
        assert (second.systems, first.our_role) == (["marketing"], OurRole.controller)


def test_a_breach_of_clients_data_only_makes_us_their_processor(
    platform_sessions: sessionmaker[Session], datamap: DataMap
) -> None:
    with platform_sessions() as session:
        incident = _open(session, datamap, systems=["contact_eu"])
        assert incident.our_role is OurRole.processor
        clock = incident_clock(incident, now=NOW)
        assert clock.deadline is None
        assert "without undue delay (GDPR Art. 33(2))" in clock.describe()


def test_a_processor_report_starts_our_clock_when_it_reached_us(
    platform_sessions: sessionmaker[Session], datamap: DataMap
) -> None:
    reported = datetime(2026, 11, 19, 22, 0, tzinfo=UTC)
    with platform_sessions() as session:
        incident = _open(session, datamap, became_aware_at=None, systems=["marketing"],
                         reported_by="email_platform", reported_to_us_at=reported)  # fmt: skip
        assert incident.became_aware_at == reported
        assert incident_clock(incident, now=NOW).deadline == reported + timedelta(hours=72)
        with pytest.raises(InvalidIncidentError, match="not a processor of the map") as caught:
            _open(session, datamap, reported_by="tax_authority_fr", reported_to_us_at=reported)
        assert caught.value.field == "reported_by"


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"title": " "}, "title"),
        ({"became_aware_at": None}, "became_aware_at"),
        ({"became_aware_at": NOW + timedelta(hours=1)}, "became_aware_at"),
        ({"systems": ["mainframe"]}, "systems"),
        ({"datasets": ["calls"]}, "datasets"),
        ({"kinds": ["theft"]}, "kinds"),
    ],
)
def test_an_incident_that_cannot_be_registered_says_which_field_is_wrong(
    platform_sessions: sessionmaker[Session], datamap: DataMap, given: dict[str, Any], field: str
) -> None:
    with platform_sessions() as session, pytest.raises(InvalidIncidentError) as caught:
        _open(session, datamap, **given)
    assert caught.value.field == field
    assert caught.value.http_status == 422


def test_each_update_is_a_phase_and_the_audit_trail_names_fields_not_their_text(
    platform_sessions: sessionmaker[Session], datamap: DataMap
) -> None:
    with platform_sessions() as session:
        incident = _open(session, datamap)
        update_incident(session, datamap=datamap, reference="br-2026-0001", actor="staff:2",
                        changes=Changes(consequences="Identity fraud is possible.", risk=Risk.high),
                        note="after the forensic report", at=NOW)  # fmt: skip
        update_incident(session, datamap=datamap, reference=incident.reference, actor="staff:2",
                        changes=Changes(status=IncidentStatus.closed, add_datasets=["prospects"]),
                        at=NOW + timedelta(days=3))  # fmt: skip
        session.commit()
        phases = [(u.changed, u.note) for u in incident.updates]
        assert phases == [
            (["consequences", "risk"], "after the forensic report"),
            (["datasets", "status", "systems"], None),
        ]
        assert incident.closed_at == NOW + timedelta(days=3)
        assert "prospects" in incident.datasets
        entries = session.query(AuditEntry).filter(AuditEntry.subject_type == "breach").all()
        assert [e.action for e in entries] == ["breach.opened", "breach.updated", "breach.updated"]
        assert entries[1].details == {"changed": ["consequences", "risk"]}
        assert "fraud" not in repr([e.details for e in entries])
        assert verify_chain(session) == []


def test_a_late_notification_needs_the_reasons_for_the_delay(
    platform_sessions: sessionmaker[Session], datamap: DataMap
) -> None:
    late = AWARE + timedelta(hours=80)
    with platform_sessions() as session:
        incident = _open(session, datamap, at=late)
        with pytest.raises(InvalidIncidentError, match="reasons for the delay") as caught:
            update_incident(session, datamap=datamap, reference=incident.reference, actor="dpo",
                            changes=Changes(authority_notified_at=late), at=late)  # fmt: skip
        assert caught.value.field == "delay_reasons"
        update_incident(session, datamap=datamap, reference=incident.reference, actor="dpo",
                        changes=Changes(authority_notified_at=late,
                                        delay_reasons="The processor told us only on day 3."),
                        at=late)  # fmt: skip
        assert incident_clock(incident, now=late).late


def test_an_unknown_incident_or_exemption_is_refused(
    platform_sessions: sessionmaker[Session], datamap: DataMap
) -> None:
    with platform_sessions() as session:
        with pytest.raises(IncidentNotFoundError, match="lawful breach show"):
            get_incident(session, reference="BR-1999-0001")
        incident = _open(session, datamap)
        with pytest.raises(InvalidIncidentError, match=r"Art\. 34\(3\) exemption"):
            update_incident(session, datamap=datamap, reference=incident.reference, actor="dpo",
                            changes=Changes(exemptions=["insured"]))  # fmt: skip


def test_counting_keeps_the_numbers_on_the_incident_and_listing_people_is_audited(
    sqlite_company: Company, platform_sessions: sessionmaker[Session]
) -> None:
    datamap = sqlite_company.datamap
    with platform_sessions() as session, sqlite_company.datastores() as datastores:
        incident = _open(session, datamap, systems=[], datasets=["prospects", "campaign_sends"])
        found = count_affected(session, datamap=datamap, datastores=datastores,
                               reference=incident.reference, actor="dpo", at=NOW)  # fmt: skip
        prospects = sqlite_company.query("marketing", "SELECT COUNT(*) AS n FROM prospects")[0]["n"]
        assert incident.people_count == found.people == prospects
        assert incident.records_count["prospects"] == prospects
        assert incident.counted_at == NOW
        assert "contact.email" in incident.categories
        listed = list_people(session, datamap=datamap, datastores=datastores,
                             reference=incident.reference, actor="dpo")  # fmt: skip
        assert len(listed.persons) == prospects
        actions = [e.action for e in session.query(AuditEntry).order_by(AuditEntry.seq)]
        assert actions[-2:] == ["breach.counted", "breach.people_listed"]


@pytest.mark.parametrize(
    ("risk", "exemptions", "authority", "people", "public"),
    [
        (Risk.unlikely, [], False, False, False),
        (Risk.risk, [], True, False, False),
        (Risk.high, [], True, True, False),
        (Risk.high, ["unintelligible"], True, False, False),
        (Risk.high, ["mitigated"], True, False, False),
        (Risk.high, ["disproportionate"], True, False, True),
        (Risk.unassessed, [], True, False, False),
    ],
)
def test_who_must_be_told_follows_articles_33_and_34(
    risk: Risk, exemptions: list[str], authority: bool, people: bool, public: bool
) -> None:
    decision = assess(risk=risk, exemptions=exemptions, role=OurRole.controller, categories=[])
    assert (decision.notify_authority, decision.tell_people, decision.public_communication) == (
        authority,
        people,
        public,
    )


def test_a_processor_tells_its_client_whatever_the_risk_and_sensitive_data_hints_high_risk() -> (
    None
):
    decision = assess(risk=Risk.unlikely, exemptions=[], role=OurRole.processor,
                      categories=["financial.payment_card"], clients=["lumiere"])  # fmt: skip
    assert decision.tell_clients
    assert not decision.notify_authority
    assert "GDPR Art. 33(2)" in decision.reasons[0]
    assert "financial.payment_card" in decision.hints[0]
