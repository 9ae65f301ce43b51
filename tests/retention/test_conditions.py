"""Conditional and life-cycle retention on real SQLite, PostgreSQL and MariaDB, with a fixed
clock: a rejected applicant's record goes on time whatever the case and spaces of its status;
a hired applicant's record survives the applicant sweep and follows the personnel file's rule
(kept until they leave, then five years); NULL and unlisted statuses are governed by no rule,
kept and counted; a second sweep changes nothing; `plan --why` says which rule and why."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from lawful.connectors.base import ConnectionSpec
from lawful.connectors.files import CSVConnector
from lawful.connectors.match import FieldTest, Match
from lawful.datamap.checks import check_datamap
from lawful.datamap.loader import load_datamap
from lawful.datamap.models import DataMap
from lawful.engine.datastores import Datastores, registry_factory
from lawful.engine.identity import parse_identity
from lawful.retention.errors import RetentionError
from lawful.retention.governance import explain_person, explain_record, governed_counts
from lawful.retention.sweep import SweepReport, plan_sweep, run_sweep
from lawful.store.audit import AuditEntry, verify_chain
from lawful.store.crypto import Keyring

from ..support.databases import ThrowawayDatabases

FIXTURE = Path(__file__).parent / "fixtures" / "applicants.yaml"
AS_OF = date(2026, 11, 1)  # the sweep's day: P2Y covers activity up to 2024-11-01 included
OLD = datetime(2023, 3, 1, 10, 0)  # more than two years ago
RECENT = datetime(2026, 6, 1, 10, 0)

METADATA = sa.MetaData()
sa.Table(
    "applicants",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("email", sa.String(200)),
    sa.Column("status", sa.String(40)),
    sa.Column("last_activity_at", sa.DateTime),
    sa.Column("employment_ended_on", sa.Date),
)
# id → (status as the tracker holds it, last activity, left us on)
ROWS: dict[int, tuple[str | None, datetime, date | None]] = {
    1: ("rejected", OLD, None),
    2: ("Rejected", OLD, None),  # capitalised by hand
    3: (" rejected ", OLD, None),  # padded
    4: ("WITHDRAWN", datetime(2024, 11, 1, 23, 59), None),  # two years ago today: due
    5: ("rejected", datetime(2024, 11, 2, 0, 0), None),  # a day later: not yet
    6: ("rejected", RECENT, None),
    7: ("hired", OLD, None),  # still with us: the personnel file has not started
    8: ("Hired", OLD, date(2021, 10, 31)),  # left over five years ago: due as personnel
    9: ("hired", OLD, date(2023, 1, 15)),  # left three years ago: kept five years
    10: (None, OLD, None),  # no status: governed by no rule
    11: ("on_hold", OLD, None),  # a value the map never listed: governed by no rule
    12: ("", OLD, None),  # empty text counts as no status
}
DUE = {1, 2, 3, 4}
DUE_AS_PERSONNEL = {8}
UNGOVERNED = {10, 11, 12}


def _fill(engine: sa.Engine) -> None:
    METADATA.drop_all(engine)
    METADATA.create_all(engine)
    rows = [
        {"id": i, "email": f"applicant{i}@example.org", "status": status,
         "last_activity_at": last, "employment_ended_on": left}
        for i, (status, last, left) in ROWS.items()
    ]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(METADATA.tables["applicants"].insert(), rows)


@dataclass
class Tracker:
    engine: sa.Engine
    datamap: DataMap
    base_dir: Path
    environ: dict[str, str]

    def datastores(self) -> Datastores:
        factory = registry_factory(self.datamap, base_dir=self.base_dir, environ=self.environ)
        return Datastores(factory)

    def ids(self) -> set[int]:
        with self.engine.connect() as conn:
            return {int(i) for (i,) in conn.execute(sa.text("SELECT id FROM applicants"))}


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def tracker(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Tracker]:
    databases: ThrowawayDatabases | None = None
    if request.param == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'ats.sqlite'}")
        connection, environ = "{type: sqlite, path: ats.sqlite}", {}
    else:
        server = request.param == "postgresql"
        databases = request.getfixturevalue(
            "pg_database_factory" if server else "mariadb_database_factory"
        )
        made = databases("lawful_applicants")
        engine = sa.create_engine(made)
        plain = made.replace("+psycopg", "").replace("+pymysql", "")
        connection = f"{{type: {request.param if server else 'mariadb'}, url_env: ATS_URL}}"
        environ = {"ATS_URL": plain}
    _fill(engine)
    path = tmp_path / "lawful.yaml"
    path.write_text(FIXTURE.read_text().replace("__CONNECTION__", connection))
    yield Tracker(engine, load_datamap(path).datamap, tmp_path, environ)
    engine.dispose()
    if databases is not None:
        databases.drop(made)


def _sweep(tracker: Tracker, sessions: sessionmaker[Session], keyring: Keyring) -> SweepReport:
    with tracker.datastores() as datastores:
        return run_sweep(sessions, datamap=tracker.datamap, datastores=datastores,
                         keyring=keyring, as_of=AS_OF, operator="test:operator",
                         open_requests=None, batch_size=2)  # fmt: skip


def _outcome(report: SweepReport, rule: str) -> dict[str, Any]:
    return next(o for o in report.outcomes if o["rule"] == rule)


def test_rejected_applicants_go_on_time_and_hired_ones_follow_the_personnel_rule(
    tracker: Tracker, platform_sessions: sessionmaker[Session], platform_keyring: Keyring
) -> None:
    with tracker.datastores() as datastores, platform_sessions() as session:
        plan = plan_sweep(session, datamap=tracker.datamap, datastores=datastores,
                          keyring=platform_keyring, as_of=AS_OF, open_requests=None)  # fmt: skip
    planned = {o.rule: o for o in plan.outcomes}
    assert planned["applicants_not_hired"].due == len(DUE)
    assert planned["personnel_file"].due == len(DUE_AS_PERSONNEL)
    assert planned["personnel_file"].handed_from == "applicants_not_hired"
    assert tracker.ids() == set(ROWS)  # planning changes nothing

    report = _sweep(tracker, platform_sessions, platform_keyring)
    assert report.job.status == "done"
    assert tracker.ids() == set(ROWS) - DUE - DUE_AS_PERSONNEL
    assert {7, 9} <= tracker.ids()  # hired: the applicant sweep never touches them
    assert tracker.ids() >= UNGOVERNED  # no rule governs them: kept, never guessed at
    assert _outcome(report, "applicants_not_hired")["acted"] == len(DUE)
    assert _outcome(report, "personnel_file")["acted"] == len(DUE_AS_PERSONNEL)

    again = _sweep(tracker, platform_sessions, platform_keyring)  # idempotent
    assert tracker.ids() == set(ROWS) - DUE - DUE_AS_PERSONNEL
    assert sum(o["acted"] for o in again.outcomes) == 0


def test_the_plan_counts_records_per_rule_and_those_no_rule_governs(tracker: Tracker) -> None:
    with tracker.datastores() as datastores:
        (found,) = governed_counts(datamap=tracker.datamap, datastores=datastores, as_of=AS_OF)
    assert found.total == len(ROWS)
    assert found.by_rule == {"applicants_not_hired": 6, "personnel_file": 3}
    assert (found.ungoverned, found.contested) == (len(UNGOVERNED), 0)
    assert found.handed_from == {"personnel_file": "applicants_not_hired"}


def test_why_names_the_rule_the_condition_and_the_due_day(tracker: Tracker) -> None:
    with tracker.datastores() as datastores:
        padded = explain_record(
            datamap=tracker.datamap, datastores=datastores, dataset="applicants", key="3",
            as_of=AS_OF,
        )  # fmt: skip
        hired = explain_record(
            datamap=tracker.datamap, datastores=datastores, dataset="applicants", key="9",
            as_of=AS_OF,
        )  # fmt: skip
        with pytest.raises(RetentionError, match="no record of `applicants` has the key '404'"):
            explain_record(datamap=tracker.datamap, datastores=datastores,
                           dataset="applicants", key="404", as_of=AS_OF)  # fmt: skip
    by_rule = {r.rule: r for r in padded}
    assert by_rule["applicants_not_hired"].governs
    assert by_rule["applicants_not_hired"].due
    assert by_rule["applicants_not_hired"].due_on == "2025-03-01"
    assert "status in [rejected, withdrawn]" in (by_rule["applicants_not_hired"].condition or "")
    assert not by_rule["personnel_file"].governs
    by_rule = {r.rule: r for r in hired}
    assert not by_rule["applicants_not_hired"].governs
    personnel = by_rule["personnel_file"]
    assert personnel.governs
    assert not personnel.due
    assert (personnel.start, personnel.due_on) == ("2023-01-15", "2028-01-15")
    assert personnel.handed_from == "applicants_not_hired"


def test_a_not_condition_takes_null_and_unlisted_statuses_too(
    tracker: Tracker, platform_sessions: sessionmaker[Session], platform_keyring: Keyring
) -> None:
    rules = dict(tracker.datamap.retention)
    rule = rules["applicants_not_hired"]
    rules["applicants_not_hired"] = rule.model_validate(
        {
            **rule.model_dump(by_alias=True, exclude_none=True),
            "where": {"status": {"not": ["hired"]}},
        }
    )
    tracker.datamap = tracker.datamap.model_copy(update={"retention": rules})
    _sweep(tracker, platform_sessions, platform_keyring)
    assert tracker.ids() == {5, 6, 7, 9}  # recent rejections, and hires still governed


def _map(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lawful.yaml"
    path.write_text(text.replace("__CONNECTION__", "{type: sqlite, path: ats.sqlite}"))
    return path


def _line_of(path: Path, needle: str) -> int:
    return next(n for n, t in enumerate(path.read_text().splitlines(), 1) if needle in t)


def test_check_says_which_status_no_rule_governs_with_its_line(tmp_path: Path) -> None:
    path = _map(tmp_path, FIXTURE.read_text())
    problems = check_datamap(load_datamap(path))
    assert [p.code for p in problems] == ["L021"]
    assert "`status` is empty" in problems[0].message
    assert problems[0].position is not None
    assert problems[0].position.line == _line_of(path, "      status:")
    fixed = FIXTURE.read_text().replace("[rejected, withdrawn]}", "[rejected, withdrawn, null]}")
    assert check_datamap(load_datamap(_map(tmp_path, fixed))) == []


@pytest.mark.parametrize(
    ("replace", "by", "code", "says", "line_with"),
    [
        ("where: {status: [rejected, withdrawn]}", "where: {statut: [rejected, withdrawn]}",
         "R020", "`statut`, which is not a field", "where: {statut"),
        ("where: {status: [rejected, withdrawn]}", "where: {status: [rejected, refused, null]}",
         "R020", "`refused` is not among the values", "where: {status"),
        ("where: {status: [rejected, withdrawn]}", "where: {status: [rejected, 3, null]}",
         "R020", "`3` is a int", "where: {status"),
        ("to: personnel_file}", "to: personel_file}", "R021", "which is no retention rule",
         "hand_over:"),
        ("left: employment_ended_on}", "gone: employment_ended_on}", "R021",
         "does not date", "hand_over:"),
        ("applies_to: {datasets: []}",
         "applies_to: {datasets: [applicants]}\n    where: {status: [hired, rejected]}",
         "L020", "can both govern a record", "  personnel_file:"),
    ],
)  # fmt: skip
def test_a_bad_condition_is_a_located_problem_with_its_code(
    tmp_path: Path, replace: str, by: str, code: str, says: str, line_with: str
) -> None:
    text = FIXTURE.read_text()
    assert replace in text
    path = _map(tmp_path, text.replace(replace, by))
    problems = [p for p in check_datamap(load_datamap(path)) if p.code == code]
    assert len(problems) == 1, problems
    assert says in problems[0].message
    assert problems[0].hint
    assert problems[0].position is not None
    assert problems[0].position.line == _line_of(path, line_with)


def test_the_example_companys_hired_candidates_survive_the_candidate_sweep(
    sqlite_company: Any, platform_sessions: sessionmaker[Session], platform_keyring: Keyring
) -> None:
    before = sqlite_company.table("candidates")
    hired = {k for k, row in before.items() if row["status"] == "hired"}
    long_past = {k for k in hired if str(before[k]["last_activity_at"]) < "2024-11-01"}
    assert long_past  # the old rule deleted these: 2 years after the last exchange
    with sqlite_company.datastores() as datastores:
        report = run_sweep(platform_sessions, datamap=sqlite_company.datamap,
                           datastores=datastores, keyring=platform_keyring, as_of=AS_OF,
                           operator="test", open_requests=None)  # fmt: skip
    after = sqlite_company.table("candidates")
    assert hired <= set(after)
    gone = set(before) - set(after)
    assert gone
    assert all(before[k]["status"] != "hired" for k in gone)
    assert _outcome(report, "candidates_not_hired")["acted"] == len(gone)


def test_explaining_a_persons_records_is_audited_without_their_identity(
    tracker: Tracker, platform_sessions: sessionmaker[Session], platform_keyring: Keyring
) -> None:
    identity = parse_identity(["email=Applicant9@example.org"], datamap=tracker.datamap)
    with tracker.datastores() as datastores, platform_sessions() as session:
        found = explain_person(session, datamap=tracker.datamap, datastores=datastores,
                               keyring=platform_keyring, identity=identity, as_of=AS_OF,
                               actor="dpo@hiring.example")  # fmt: skip
        session.commit()
    assert [(one.dataset, one.key) for one in found] == [("applicants", "9")]
    personnel = next(r for r in found[0].reasons if r.rule == "personnel_file")
    assert personnel.governs
    with platform_sessions() as session:
        (entry,) = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "retention.person_explained")
        ).all()
        assert entry.actor == "dpo@hiring.example"
        assert "applicant9" not in str(entry.details).lower()
        assert verify_chain(session) == []


def test_a_csv_store_filters_by_the_same_conditions_as_sql(tmp_path: Path) -> None:
    lines = ["id,status"] + [
        f"{i},{'' if status is None else status}" for i, (status, _, _) in ROWS.items()
    ]
    (tmp_path / "applicants.csv").write_text("\n".join(lines) + "\n")
    connector = CSVConnector(ConnectionSpec(system="files", type="csv", path=tmp_path))
    rejected = Match((FieldTest("status", ("rejected", "withdrawn")),))
    not_hired = Match((FieldTest("status", ("hired",), negate=True, nulls=True),))
    empty = Match((FieldTest("status", (), nulls=True),))
    assert {int(r["id"]) for r in connector.scan("applicants", key="id", columns=["status"],
            match=rejected)} == {1, 2, 3, 4, 5, 6}  # fmt: skip
    assert connector.count("applicants", match=not_hired) == len(ROWS) - 3
    assert connector.count("applicants", match=empty) == 2  # NULL and '' alike
    assert (
        connector.count("applicants", match=Match(none=((FieldTest("status", ("hired",)),),))) == 9
    )


@pytest.mark.parametrize(
    ("replace", "by", "codes", "says"),
    [
        # Two `not` rules: a rejected applicant is "not hired" and "not withdrawn" at once.
        ("applies_to: {datasets: []}",
         "applies_to: {datasets: [applicants]}\n    where: {status: {not: [withdrawn]}}",
         ["L020"], "can both govern"),
        # A `not` rule takes every other value, the empty one and those never listed.
        ("where: {status: [rejected, withdrawn]}", "where: {status: {not: [hired]}}", [], ""),
        # Without `values:`, nobody can tell which statuses an `in` list leaves out.
        ("        values: [rejected, withdrawn, hired]\n", "", ["L021"], "list the values"),
        # `{not: [null]}` takes every set status; with the hand-over, only empty is left.
        ("where: {status: [rejected, withdrawn]}", "where: {status: {not: [null]}}",
         ["L021"], "is empty"),
    ],
)  # fmt: skip
def test_check_reasons_over_in_and_not_conditions(
    tmp_path: Path, replace: str, by: str, codes: list[str], says: str
) -> None:
    text = FIXTURE.read_text()
    assert replace in text
    problems = check_datamap(load_datamap(_map(tmp_path, text.replace(replace, by))))
    assert [p.code for p in problems] == codes, problems
    assert all(says in p.message or says in p.hint for p in problems)
