"""Order lines with no date of their own, swept by their order's date (`events: {placed:
orders.placed_at}`), on real SQLite, PostgreSQL and MariaDB: lines of old orders go, lines of
recent orders stay, lines whose order is gone stay and are counted, counts are exact, a sweep
cut short is finished by the next run; `lawful check` points at each bad event date."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from lawful.connectors.base import ConnectionSpec, ConnectorError, ParentDate
from lawful.connectors.files import CSVConnector
from lawful.datamap.checks import check_datamap
from lawful.datamap.loader import load_datamap
from lawful.datamap.models import DataMap
from lawful.engine.datastores import Datastores, registry_factory
from lawful.engine.jobs import StepEvent
from lawful.engine.live import check_live
from lawful.retention import evaluate
from lawful.retention.sweep import SweepPlan, SweepReport, plan_sweep, run_sweep
from lawful.store.crypto import Keyring

from ..support.databases import ThrowawayDatabases

FIXTURE = Path(__file__).parent / "fixtures" / "lines.yaml"
AS_OF = date(2026, 11, 1)  # P2Y: lines of orders placed on 2024-11-01 or earlier are due

METADATA = sa.MetaData()
sa.Table(
    "customers",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("email", sa.String(200)),
    sa.Column("joined_on", sa.Date),
)
sa.Table(
    "orders",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("customer_id", sa.Integer),
    sa.Column("placed_at", sa.DateTime),
)
sa.Table(  # no foreign key: the database lets a line outlive its order
    "order_lines",
    METADATA,
    sa.Column("order_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("line_no", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("product", sa.String(100)),
)
ORDERS = {
    1: datetime(2020, 1, 1, 9, 0),  # long past: its lines are due
    2: datetime(2024, 11, 1, 23, 59),  # two years ago today, its last minute: due
    3: datetime(2024, 11, 2, 0, 0),  # a day later: not due yet
    4: None,  # never placed: the period has not started
    5: datetime(2010, 5, 5, 12, 0),  # old, but has no lines
}
LINES = {1: 7, 2: 2, 3: 3, 4: 1, 99: 2}  # order 99 does not exist: its 2 lines are orphans
DUE = {(order, n) for order in (1, 2) for n in range(1, LINES[order] + 1)}
ALL = {(order, n) for order, count in LINES.items() for n in range(1, count + 1)}


def _fill(engine: sa.Engine) -> None:
    METADATA.drop_all(engine)
    METADATA.create_all(engine)
    tables = METADATA.tables
    with engine.begin() as conn:
        conn.execute(tables["customers"].insert(), [{"id": 1, "email": "ann@example.org"}])
        conn.execute(
            tables["orders"].insert(),
            [{"id": i, "customer_id": 1, "placed_at": at} for i, at in ORDERS.items()],
        )
        rows = [{"order_id": o, "line_no": n, "product": f"item {o}-{n}"} for o, n in ALL]
        conn.execute(tables["order_lines"].insert(), rows)


@dataclass
class Shop:
    engine: sa.Engine
    datamap: DataMap
    base_dir: Path
    environ: dict[str, str]

    def datastores(self) -> Datastores:
        factory = registry_factory(self.datamap, base_dir=self.base_dir, environ=self.environ)
        return Datastores(factory)

    def lines(self) -> set[tuple[int, int]]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT order_id, line_no FROM order_lines"))
            return {(int(o), int(n)) for o, n in rows}


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def shop(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Shop]:
    """The lines schema on each real backend in turn, with its data map."""
    databases: ThrowawayDatabases | None = None
    if request.param == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'lines.sqlite'}")
        connection, environ = "{type: sqlite, path: lines.sqlite}", {}
    else:
        server = request.param == "postgresql"
        factory = "pg_database_factory" if server else "mariadb_database_factory"
        databases = request.getfixturevalue(factory)
        made = databases("lawful_lines")
        engine = sa.create_engine(made)
        plain = made.replace("+psycopg", "").replace("+pymysql", "")  # as a user writes it
        connection = f"{{type: {request.param if server else 'mariadb'}, url_env: LINES_URL}}"
        environ = {"LINES_URL": plain}
    _fill(engine)
    path = tmp_path / "lawful.yaml"
    path.write_text(FIXTURE.read_text().replace("__CONNECTION__", connection))
    yield Shop(engine, load_datamap(path).datamap, tmp_path, environ)
    engine.dispose()
    if databases is not None:
        databases.drop(made)


def _plan(shop: Shop, sessions: sessionmaker[Session], keyring: Keyring) -> SweepPlan:
    with shop.datastores() as datastores, sessions() as session:
        return plan_sweep(session, datamap=shop.datamap, datastores=datastores,
                          keyring=keyring, as_of=AS_OF, open_requests=None)  # fmt: skip


def _sweep(
    shop: Shop, sessions: sessionmaker[Session], keyring: Keyring, **extra: Any
) -> SweepReport:
    with shop.datastores() as datastores:
        return run_sweep(sessions, datamap=shop.datamap, datastores=datastores, keyring=keyring,
                         as_of=AS_OF, operator="test:operator", open_requests=None,
                         batch_size=2, **extra)  # fmt: skip


def _lines_outcome(outcomes: list[dict[str, Any]]) -> dict[str, Any]:
    return next(o for o in outcomes if o["rule"] == "lines")


def test_lines_are_due_by_their_orders_date_and_those_without_an_order_are_counted(
    shop: Shop,
    platform_sessions: sessionmaker[Session],
    platform_keyring: Keyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(evaluate, "SCAN_PAGE", 3)  # keyset pages across the composite key
    found = _lines_outcome(
        [o.as_json() for o in _plan(shop, platform_sessions, platform_keyring).outcomes]
    )
    assert found["problem"] is None
    assert found["start_field"] == "orders.placed_at"
    assert (found["due"], found["acted"], found["no_parent"]) == (len(DUE), len(DUE), 2)
    assert shop.lines() == ALL  # planning changes nothing


def test_a_sweep_cut_short_is_finished_by_the_next_run_and_deletes_exactly_the_lines_due(
    shop: Shop, platform_sessions: sessionmaker[Session], platform_keyring: Keyring
) -> None:
    events: list[StepEvent] = []

    def stop_after_first_batch(event: StepEvent) -> None:
        events.append(event)
        raise KeyboardInterrupt  # the operator stops the run mid-way

    with pytest.raises(KeyboardInterrupt):
        _sweep(shop, platform_sessions, platform_keyring, progress=stop_after_first_batch)
    assert ALL - DUE < shop.lines() < ALL  # part of it done, not all
    report = _sweep(shop, platform_sessions, platform_keyring)
    assert report.resumed
    assert shop.lines() == ALL - DUE  # recent, undated and orphaned lines stay
    assert _lines_outcome(report.outcomes)["no_parent"] == 2
    again = _sweep(shop, platform_sessions, platform_keyring)
    assert _lines_outcome(again.outcomes)["due"] == 0
    assert shop.lines() == ALL - DUE


def test_a_longer_rule_counting_from_the_same_parent_date_keeps_what_it_still_needs(
    shop: Shop, platform_sessions: sessionmaker[Session], platform_keyring: Keyring
) -> None:
    rules = dict(shop.datamap.retention)
    rules["lines_books"] = rules["lines"].model_copy(update={"period": "P5Y"})
    shop.datamap = shop.datamap.model_copy(update={"retention": rules})
    plan = _plan(shop, platform_sessions, platform_keyring)
    found = _lines_outcome([o.as_json() for o in plan.outcomes])
    # Order 2 (2024) is within five years: its 2 lines are kept; order 1 (2020) is not.
    assert (found["due"], found["acted"], found["kept_by_rules"]) == (9, 7, {"lines_books": 2})


def _map_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lawful.yaml"
    path.write_text(text.replace("__CONNECTION__", "{type: sqlite, path: lines.sqlite}"))
    return path


def test_the_map_with_a_parent_date_passes_every_check_and_l007_is_satisfied(
    tmp_path: Path,
) -> None:
    problems = check_datamap(load_datamap(_map_file(tmp_path, FIXTURE.read_text())))
    assert [str(p) for p in problems] == []


@pytest.mark.parametrize(
    ("replace", "by", "code", "says"),
    [
        ("placed: orders.placed_at}", "placed: ordres.placed_at}", "R002", "unknown dataset `ordres`"),
        ("placed: orders.placed_at}", "placed: orders.placed_on}", "R003", "unknown field `placed_on`"),
        ("references: orders.id}", "}", "R010", "has no reference to `orders`"),
        ("line_no: {category: identifier.internal, erase: keep}",
         "line_no: {category: identifier.internal, erase: keep, references: orders.id}",
         "R010", "through several fields"),
    ],
)  # fmt: skip
def test_a_bad_parent_date_is_a_located_error_with_its_code(
    tmp_path: Path, replace: str, by: str, code: str, says: str
) -> None:
    text = FIXTURE.read_text()
    assert replace in text
    path = _map_file(tmp_path, text.replace(replace, by))
    problems = [p for p in check_datamap(load_datamap(path)) if p.code == code]
    assert len(problems) == 1, problems
    line = next(
        n
        for n, t in enumerate(path.read_text().splitlines(), 1)
        if "events: {placed: " in t and "." in t
    )
    assert says in problems[0].message
    assert problems[0].position is not None
    assert problems[0].position.line == line


def test_a_parent_in_another_system_is_refused(tmp_path: Path) -> None:
    text = (
        FIXTURE.read_text()
        .replace("  orders:\n    system: shop", "  orders:\n    system: archive")
        .replace("systems:\n", "systems:\n  archive: {name: Archive, owner: IT, location: FR}\n")
    )
    path = _map_file(tmp_path, text)
    codes = [p.code for p in check_datamap(load_datamap(path))]
    assert "R011" in codes


def test_a_file_store_says_it_cannot_date_rows_by_another_tables_row(tmp_path: Path) -> None:
    (tmp_path / "order_lines.csv").write_text("order_id,line_no,product\n1,1,kettle\n")
    spec = ConnectionSpec(system="files", type="csv", path=tmp_path)
    parent = ParentDate("orders", "placed_at", ("order_id",), ("id",))
    connector = CSVConnector(spec)
    with pytest.raises(ConnectorError, match="SQL datastores only"):
        connector.scan("order_lines", key=("order_id", "line_no"), columns=[],
                       before=(parent, AS_OF))  # fmt: skip
    with pytest.raises(ConnectorError, match="SQL datastores only"):
        connector.count("order_lines", before=(parent, AS_OF))


def test_check_live_says_when_the_parents_column_holds_no_date(tmp_path: Path) -> None:
    _fill(sa.create_engine(f"sqlite:///{tmp_path / 'lines.sqlite'}"))
    good = _map_file(tmp_path, FIXTURE.read_text())
    assert [p for p in check_live(loaded=load_datamap(good), base_dir=tmp_path, environ={})
            if p.code == "D014"] == []  # fmt: skip
    bad = FIXTURE.read_text().replace("orders.placed_at}", "orders.customer_id}")
    problems = [
        p
        for p in check_live(loaded=load_datamap(_map_file(tmp_path, bad)), base_dir=tmp_path,
                            environ={})
        if p.code == "D014"
    ]  # fmt: skip
    assert len(problems) == 1
    assert "`orders.customer_id`" in problems[0].message
    assert "INTEGER" in problems[0].message
