"""Sweeps on the example company, on SQLite, PostgreSQL and MariaDB: plan counts equal a
ground truth computed from the rows themselves; the run deletes or anonymises exactly the
records due; legal holds and open requests keep theirs; a second run changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from lawful.engine.holds import add_period
from lawful.engine.identity import Identity, parse_identity
from lawful.retention.models import HoldScope
from lawful.retention.protect import OpenRequests
from lawful.retention.rules import start_field
from lawful.retention.service import add_legal_hold
from lawful.retention.sweep import SweepPlan, SweepReport, plan_sweep, run_sweep
from lawful.store.audit import AuditEntry, verify_chain
from lawful.store.crypto import Keyring

AS_OF = date(2026, 11, 1)  # the example company's data is dated as of this day
Company = Any  # tests/conftest.py: ExampleCompany


def _day(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


# The example's recruitment rules govern only who was not hired (`where: {status: {not:
# [hired]}}`): the field each one tests, read straight from the rows.
NOT_HIRED = {"candidates_not_hired": "status", "applications_not_hired": "decision"}
RULE_OF = {"candidates": "candidates_not_hired", "applications": "applications_not_hired"}


def ground_truth(company: Company, rule_id: str, dataset_id: str) -> set[Any]:
    """Keys of the records whose period has run out, by the law's own arithmetic on every
    row read straight from the database (no cutoff, no connector)."""
    rule = company.datamap.retention[rule_id]
    dataset = company.datamap.datasets[dataset_id]
    field = start_field(rule, dataset)
    assert field is not None
    tested = NOT_HIRED.get(rule_id)
    return {
        key
        for key, row in company.table(dataset_id).items()
        if (start := _day(row[field])) is not None
        and add_period(start, rule.period) <= AS_OF
        and (tested is None or str(row[tested] or "").strip().lower() != "hired")
    }


def plan(
    company: Company,
    sessions: sessionmaker[Session],
    keyring: Keyring,
    *,
    requests: OpenRequests | None = None,
) -> SweepPlan:
    with company.datastores() as datastores, sessions() as session:
        return plan_sweep(
            session,
            datamap=company.datamap,
            datastores=datastores,
            keyring=keyring,
            as_of=AS_OF,
            open_requests=requests,
        )


def sweep(
    company: Company,
    sessions: sessionmaker[Session],
    keyring: Keyring,
    *,
    requests: OpenRequests | None = None,
    batch_size: int = 50,
) -> SweepReport:
    with company.datastores() as datastores:
        return run_sweep(
            sessions,
            datamap=company.datamap,
            datastores=datastores,
            keyring=keyring,
            as_of=AS_OF,
            operator="test:operator",
            open_requests=requests,
            batch_size=batch_size,
        )


def every_table(company: Company) -> dict[str, dict[Any, dict[str, Any]]]:
    return {did: company.table(did) for did in company.datamap.datasets}


def outcome(report_or_plan: SweepReport | SweepPlan, rule: str, dataset: str) -> dict[str, Any]:
    outcomes = (
        report_or_plan.outcomes
        if isinstance(report_or_plan, SweepReport)
        else [o.as_json() for o in report_or_plan.outcomes]
    )
    return next(o for o in outcomes if o["rule"] == rule and o["dataset"] == dataset)


def rule_targets(company: Company) -> list[tuple[str, str]]:
    return [
        (rid, did)
        for rid, rule in company.datamap.retention.items()
        for did, dataset in company.datamap.datasets.items()
        if rule.applies_to.covers(did, dataset)
    ]


def test_plan_counts_equal_a_ground_truth_computed_from_the_rows(
    example_company: Company, platform_sessions: sessionmaker[Session], platform_keyring: Keyring
) -> None:
    found = plan(example_company, platform_sessions, platform_keyring)
    assert not found.problems()
    checked = 0
    for rule, dataset in rule_targets(example_company):
        expected = ground_truth(example_company, rule, dataset)
        got = outcome(found, rule, dataset)
        assert (got["due"], got["acted"]) == (len(expected), len(expected)), (rule, dataset)
        checked += bool(expected)
    assert checked >= 15  # most rules have records past their period in the example data


def test_the_run_deletes_or_anonymises_exactly_the_records_due_and_nothing_else(
    example_company: Company, platform_sessions: sessionmaker[Session], platform_keyring: Keyring
) -> None:
    before = every_table(example_company)
    due = {t: ground_truth(example_company, *t) for t in rule_targets(example_company)}
    report = sweep(example_company, platform_sessions, platform_keyring)
    assert report.job.status == "done"
    after = every_table(example_company)
    for (rule, did), keys in due.items():
        action = example_company.datamap.retention[rule].action.value
        if action == "delete":
            assert set(after[did]) == set(before[did]) - keys, (rule, did)
        else:  # anonymise: the due rows changed as their fields' strategies say, no other
            changed = {k for k, row in before[did].items() if after[did][k] != row}
            assert changed == {
                k for k in keys if _has_personal_values(example_company, did, before[did][k])
            }
    untouched = set(before) - {did for _, did in due}
    assert all(after[did] == before[did] for did in untouched)
    surveys = next(iter(due[("diversity_answers", "equal_opportunity_surveys")]))
    survey = after["equal_opportunity_surveys"][surveys]
    assert survey["gender"] is None
    assert survey["disability"] is None
    assert survey["candidate_id"] == before["equal_opportunity_surveys"][surveys]["candidate_id"]


def _has_personal_values(company: Company, dataset: str, row: dict[str, Any]) -> bool:
    """Whether anonymising the row changes anything (a field to null that is not yet null)."""
    fields = company.datamap.datasets[dataset].fields
    return any(
        row[name] is not None and (spec := f.erase_spec()) is not None and spec.strategy != "keep"
        for name, f in fields.items()
    )


def test_a_second_sweep_changes_nothing_and_never_anonymises_twice(
    sqlite_company: Company, platform_sessions: sessionmaker[Session], platform_keyring: Keyring
) -> None:
    sweep(sqlite_company, platform_sessions, platform_keyring)
    once = every_table(sqlite_company)
    again = sweep(sqlite_company, platform_sessions, platform_keyring)
    assert every_table(sqlite_company) == once
    surveys = outcome(again, "diversity_answers", "equal_opportunity_surveys")
    assert surveys["acted"] == 0
    assert surveys["already"] == surveys["due"] > 0
    assert sum(o["acted"] for o in again.outcomes if o["action"] == "delete") == 0


def _due_candidate(company: Company) -> tuple[int, str]:
    """A candidate due for deletion who also has applications due."""
    candidates = ground_truth(company, "candidates_not_hired", "candidates")
    applications = company.table("applications")
    due_apps = ground_truth(company, "applications_not_hired", "applications")
    chosen = min(
        c for c in candidates if any(applications[a]["candidate_id"] == c for a in due_apps)
    )
    return chosen, company.table("candidates")[chosen]["email"]


def test_a_held_person_is_untouched_and_everyone_else_due_is_deleted(
    example_company: Company, platform_sessions: sessionmaker[Session], platform_keyring: Keyring
) -> None:
    candidate, email = _due_candidate(example_company)
    person = parse_identity([f"email={email}"], datamap=example_company.datamap)
    with platform_sessions() as session:
        add_legal_hold(
            session, keyring=platform_keyring, datamap=example_company.datamap,
            scope=HoldScope.person, reason="Employment tribunal claim", owner="Legal counsel",
            actor="test", people=[person],
        )  # fmt: skip
        session.commit()
    theirs = {
        "candidates": {candidate},
        "applications": {
            k
            for k, a in example_company.table("applications").items()
            if a["candidate_id"] == candidate
        },
    }
    before = every_table(example_company)
    due = {did: ground_truth(example_company, RULE_OF[did], did) for did in theirs}
    report = sweep(example_company, platform_sessions, platform_keyring)
    after = every_table(example_company)
    for did, keys in theirs.items():
        assert keys <= set(after[did])
        assert all(after[did][k] == before[did][k] for k in keys)
        assert set(after[did]) == set(before[did]) - (due[did] - keys)
        held = outcome(report, RULE_OF[did], did)["held"]
        assert held == len(keys & due[did]) > 0


def test_a_dataset_on_hold_is_left_whole(
    sqlite_company: Company, platform_sessions: sessionmaker[Session], platform_keyring: Keyring
) -> None:
    with platform_sessions() as session:
        add_legal_hold(
            session, keyring=platform_keyring, datamap=sqlite_company.datamap,
            scope=HoldScope.case, reference="Audit 2026-7", reason="Regulator's audit of tracking",
            owner="DPO", actor="test", datasets=["page_views"],
        )  # fmt: skip
        session.commit()
    before = sqlite_company.table("page_views")
    report = sweep(sqlite_company, platform_sessions, platform_keyring)
    assert sqlite_company.table("page_views") == before
    views = outcome(report, "audience_data", "page_views")
    assert (
        views["held"]
        == views["due"]
        == len(ground_truth(sqlite_company, "audience_data", "page_views"))
    )
    assert views["acted"] == 0


def test_people_with_an_open_request_keep_their_records_until_it_closes(
    sqlite_company: Company, platform_sessions: sessionmaker[Session], platform_keyring: Keyring
) -> None:
    candidate, email = _due_candidate(sqlite_company)
    asking: Callable[[Session], list[Identity]] = lambda _session: [  # noqa: E731
        parse_identity([f"email={email}"], datamap=sqlite_company.datamap)
    ]
    report = sweep(sqlite_company, platform_sessions, platform_keyring, requests=asking)
    assert candidate in sqlite_company.table("candidates")
    assert outcome(report, "candidates_not_hired", "candidates")["requested"] == 1
    assert report.summary["requests_checked"] is True
    assert report.summary["open_requests"] == 1
    without = sweep(sqlite_company, platform_sessions, platform_keyring)
    assert candidate not in sqlite_company.table("candidates")
    assert without.summary["requests_checked"] is False


def test_each_rule_leaves_an_evidence_entry_with_counts_time_and_operator(
    sqlite_company: Company, platform_sessions: sessionmaker[Session], platform_keyring: Keyring
) -> None:
    due = ground_truth(sqlite_company, "prospects", "prospects")
    report = sweep(sqlite_company, platform_sessions, platform_keyring)
    with platform_sessions() as session:
        entries = session.query(AuditEntry).filter(AuditEntry.action == "retention.swept").all()
        assert verify_chain(session) == []
    by_rule = {e.subject_id: e for e in entries}
    assert set(by_rule) >= set(sqlite_company.datamap.retention)
    prospects = by_rule["prospects"]
    assert prospects.actor == "test:operator"
    assert prospects.details["job"] == report.job.job_id
    assert prospects.details["as_of"] == "2026-11-01"
    counted = prospects.details["datasets"]["prospects"]
    assert counted["acted"] == counted["due"] == len(due) > 0
    assert counted["rows_changed_in_dataset"] == counted["acted"]
