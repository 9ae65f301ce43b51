"""The other end actions and guards: `isolate` marks records instead of changing them (and
erasure still reaches them); records restricted under Art. 18 are never swept; people below
their minimum age are flagged, or handled as the map says; a longer rule keeps a record."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lawful.datamap.models import RetentionAction, RetentionRule, RetentionScope
from lawful.engine.erasure import run_erasure
from lawful.engine.identity import parse_identity
from lawful.engine.markers import ISOLATED, record_index
from lawful.engine.models import Restriction
from lawful.engine.restriction import RestrictionReason, run_restriction
from lawful.retention.holds import legal_holds_on
from lawful.retention.sweep import plan_sweep, run_sweep
from lawful.store.crypto import Keyring

Company = Any  # tests/conftest.py: ExampleCompany
AS_OF = date(2026, 11, 1)


def _with_rules(company: Company, **rules: RetentionRule) -> None:
    company.datamap = company.datamap.model_copy(
        update={"retention": {**company.datamap.retention, **rules}}
    )


def _with_subject(company: Company, subject: str, **changes: Any) -> None:
    subjects = dict(company.datamap.subjects)
    subjects[subject] = subjects[subject].model_copy(update=changes)
    company.datamap = company.datamap.model_copy(update={"subjects": subjects})


def _sweep(company: Company, sessions: sessionmaker[Session], keyring: Keyring) -> Any:
    with company.datastores() as datastores:
        return run_sweep(sessions, datamap=company.datamap, datastores=datastores,
                         keyring=keyring, as_of=AS_OF, operator="test", open_requests=None)  # fmt: skip


def _outcome(report: Any, rule: str, dataset: str) -> dict[str, Any]:
    return next(o for o in report.outcomes if o["rule"] == rule and o["dataset"] == dataset)


def test_isolated_records_are_marked_not_changed_and_erasure_still_reaches_them(
    sqlite_company: Company, platform_sessions: sessionmaker[Session], platform_keyring: Keyring
) -> None:
    visitors = sqlite_company.datamap.retention["visitors"]
    _with_rules(
        sqlite_company, visitors=visitors.model_copy(update={"action": RetentionAction.isolate})
    )
    before = sqlite_company.table("visitors")
    report = _sweep(sqlite_company, platform_sessions, platform_keyring)
    isolated = _outcome(report, "visitors", "visitors")
    assert isolated["acted"] == isolated["due"] > 0
    assert sqlite_company.table("visitors") == before
    with platform_sessions() as session:
        marked = set(
            session.scalars(select(Restriction.record_index).where(Restriction.reason == ISOLATED))
        )
    assert len(marked) == isolated["acted"]
    again = _outcome(
        _sweep(sqlite_company, platform_sessions, platform_keyring), "visitors", "visitors"
    )
    assert (again["acted"], again["already"]) == (0, isolated["due"])

    key = next(
        k for k in before if record_index(platform_keyring, dataset="visitors", key=k) in marked
    )
    cookie = parse_identity(
        [f"cookie_id={before[key]['cookie_id']}"], datamap=sqlite_company.datamap
    )
    with sqlite_company.datastores() as datastores:
        erased = run_erasure(platform_sessions, datamap=sqlite_company.datamap, identity=cookie,
                             datastores=datastores, keyring=platform_keyring, today=AS_OF,
                             holds=legal_holds_on)  # fmt: skip
    assert not [k for k in erased.summary["kept"] if k["reason"] == "restricted"]
    assert sqlite_company.table("visitors")[key]["cookie_id"] != before[key]["cookie_id"]


def test_records_restricted_under_article_18_are_never_swept(
    sqlite_company: Company, platform_sessions: sessionmaker[Session], platform_keyring: Keyring
) -> None:
    prospects = sqlite_company.table("prospects")
    oldest = min(prospects, key=lambda k: prospects[k]["last_contact_at"])
    person = parse_identity([f"email={prospects[oldest]['email']}"], datamap=sqlite_company.datamap)
    with sqlite_company.datastores() as datastores, platform_sessions() as session:
        run_restriction(session, datamap=sqlite_company.datamap, identity=person,
                        datastores=datastores, keyring=platform_keyring,
                        reason=RestrictionReason.legal_claims)  # fmt: skip
        session.commit()
    report = _sweep(sqlite_company, platform_sessions, platform_keyring)
    assert oldest in sqlite_company.table("prospects")
    assert _outcome(report, "prospects", "prospects")["restricted"] == 1


def test_people_below_their_minimum_age_are_flagged_for_review(
    sqlite_company: Company, platform_sessions: sessionmaker[Session], platform_keyring: Keyring
) -> None:
    young = min(sqlite_company.table("candidates"))
    sqlite_company.execute(
        "ats",
        "UPDATE candidates SET birth_date = '2010-06-30', last_activity_at = '2026-10-30 10:00:00' "
        "WHERE candidate_id = :k",
        k=young,
    )
    with sqlite_company.datastores() as datastores, platform_sessions() as session:
        found = plan_sweep(session, datamap=sqlite_company.datamap, datastores=datastores,
                           keyring=platform_keyring, as_of=AS_OF, open_requests=None)  # fmt: skip
    index = next(i for i, o in enumerate(found.outcomes) if o.rule == "minimum_age:applicant")
    flagged = found.outcomes[index]
    assert (flagged.action, flagged.acted) == ("flag", 1)
    assert found.works[index].flagged == [young]
    assert "younger than 18" in flagged.why


def test_the_map_can_say_records_of_people_below_the_minimum_age_are_deleted(
    sqlite_company: Company, platform_sessions: sessionmaker[Session], platform_keyring: Keyring
) -> None:
    young = max(sqlite_company.table("candidates"))
    sqlite_company.execute(
        "ats",
        "UPDATE candidates SET birth_date = '2012-01-15', last_activity_at = '2026-10-30 10:00:00' WHERE candidate_id = :k",
        k=young,
    )
    _with_subject(sqlite_company, "applicant", below_minimum_age="delete")
    report = _sweep(sqlite_company, platform_sessions, platform_keyring)
    assert young not in sqlite_company.table("candidates")
    assert _outcome(report, "minimum_age:applicant", "candidates")["acted"] == 1


def test_a_longer_rule_on_the_same_records_keeps_them(
    sqlite_company: Company, platform_sessions: sessionmaker[Session], platform_keyring: Keyring
) -> None:
    _with_rules(
        sqlite_company,
        campaign_proof=RetentionRule(
            applies_to=RetentionScope(datasets=["campaign_sends"]),
            period="P10Y",
            start="sent",
            action=RetentionAction.delete,
            citation="Proof of consent kept for the limitation period",
        ),
    )
    before = sqlite_company.table("campaign_sends")
    report = _sweep(sqlite_company, platform_sessions, platform_keyring)
    short = _outcome(report, "campaign_history", "campaign_sends")
    assert short["due"] > 0
    assert short["kept_by_rules"] == {"campaign_proof": short["due"]}
    assert sqlite_company.table("campaign_sends") == before


def test_a_dataset_lawful_cannot_reach_is_left_to_staff_without_failing_the_sweep(
    sqlite_company: Company, platform_sessions: sessionmaker[Session], platform_keyring: Keyring
) -> None:
    systems = dict(sqlite_company.datamap.systems)
    systems["web"] = systems["web"].model_copy(update={"connection": None})
    sqlite_company.datamap = sqlite_company.datamap.model_copy(update={"systems": systems})
    report = _sweep(sqlite_company, platform_sessions, platform_keyring)
    views = _outcome(report, "audience_data", "page_views")
    assert views["manual"] == "its system has no `connection`: apply this rule by hand"
    assert views["problem"] is None
    assert report.job.status == "done"
    assert _outcome(report, "prospects", "prospects")["acted"] > 0
