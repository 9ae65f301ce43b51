"""Time a retention sweep on PostgreSQL: 10,000,000 rows, of which 1,000,000 are past their
period and deleted.

    .venv/bin/python bench/retention.py                       # 10,000,000 rows, 1,000,000 due
    .venv/bin/python bench/retention.py --rows 1000000        # a quicker look (10% due)

The table is made in PostgreSQL itself with `generate_series` (database `lawful_bench_retention`,
rebuilt on every run): `events(id bigint primary key, email, occurred_at timestamp, channel,
note)`, one row in ten (ids divisible by ten, spread over the whole table) dated 2019, the
others 2026. A one-dataset data map with one rule (delete three years after `occurred_at`)
points at it; the platform store is PostgreSQL too (`lawful_bench_retention_store`).

The sweep runs as `lawful retention run` does, in process: plan (page through the due rows
by primary key, filtered by PostgreSQL, and check them against legal holds, restrictions and
open requests), record the job with its sealed steps, then delete batch by batch by key
(`DELETE … WHERE id = ANY(…)`), committing a checkpoint after each batch. Timed: the whole
sweep, and planning and applying apart. Then the table is checked: exactly the due rows are
gone.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa
from rich.console import Console

from lawful.datamap.loader import load_datamap
from lawful.engine.datastores import Datastores, registry_factory
from lawful.engine.jobs import StepEvent
from lawful.retention.sweep import run_sweep
from lawful.store.crypto import Keyring
from lawful.store.db import create_store_engine, session_factory
from lawful.store.migrate import upgrade_database

PG = "postgresql://postgres@127.0.0.1:5432"
DATA_DB, STORE_DB = "lawful_bench_retention", "lawful_bench_retention_store"
AS_OF = date(2026, 11, 1)
log = Console(stderr=True)

MAP = """
version: 1
organization:
  name: Bench SAS
  address: {street: 1 rue du Banc, city: Lyon, country: FR}
  contact: {email: privacy@bench.example}
  jurisdictions: [gdpr]
subjects:
  customer: {name: Customers}
purposes:
  service: {name: Serve customers, legal_basis: contract, subjects: [customer]}
systems:
  events_db:
    name: Event store
    owner: IT
    location: FR
    connection: {type: postgresql, url_env: BENCH_EVENTS_URL, options: {batch_size: 5000}}
datasets:
  events:
    system: events_db
    subject: customer
    identities: {email: email}
    purposes: [service]
    events: {occurred: occurred_at}
    fields:
      id: {category: identifier.internal}
      email: {category: contact.email}
      occurred_at: {category: record.timestamp}
      channel: {category: communication.call_log}
      note: {category: communication.message}
retention:
  events:
    applies_to: {datasets: [events]}
    period: P3Y
    start: occurred
    action: delete
    citation: Bench rule
"""

FILL = """
DROP TABLE IF EXISTS events;
CREATE UNLOGGED TABLE events_load AS
SELECT g::bigint AS id,
       'person' || g || '@example.org' AS email,
       CASE WHEN g % 10 = 0
            THEN timestamp '2019-01-01' + (g % 86400) * interval '1 minute'
            ELSE timestamp '2026-01-01' + (g % 86400) * interval '1 minute' END AS occurred_at,
       (ARRAY['phone', 'email', 'chat'])[1 + g % 3] AS channel,
       md5(g::text) AS note
FROM generate_series(1, %(rows)s) AS g;
ALTER TABLE events_load SET LOGGED;
ALTER TABLE events_load RENAME TO events;
ALTER TABLE events ADD PRIMARY KEY (id);
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--batch-size", type=int, default=5_000, help="rows per checkpoint")
    args = parser.parse_args()
    _database(DATA_DB)
    _database(STORE_DB, fresh=True)
    filled = _fill(args.rows)
    result = _sweep(batch_size=args.batch_size)
    remaining, due_left = _check()
    expected_due = args.rows // 10
    assert due_left == 0, f"{due_left} due rows were left"
    assert remaining == args.rows - expected_due, (remaining, args.rows, expected_due)
    result |= {
        "rows": args.rows,
        "deleted": args.rows - remaining,
        "fill_seconds": round(filled, 1),
        "batch_size": args.batch_size,
        "python": platform.python_version(),
        "postgresql": _server_version(),
        "load": [round(x, 1) for x in os.getloadavg()],
    }
    print(json.dumps(result, indent=2))


def _database(name: str, *, fresh: bool = False) -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def _fill(rows: int) -> float:
    log.print(f"filling {rows:,} rows with generate_series …")
    started = time.perf_counter()
    with psycopg.connect(f"{PG}/{DATA_DB}", autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS events_load")
        for statement in FILL.replace("%(rows)s", str(int(rows))).split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute("VACUUM ANALYZE events")
    seconds = time.perf_counter() - started
    log.print(f"filled in {seconds:.1f} s")
    return seconds


def _sweep(*, batch_size: int) -> dict[str, Any]:
    store_url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{STORE_DB}"
    upgrade_database(url=store_url)
    with tempfile.TemporaryDirectory() as folder:
        map_path = Path(folder) / "lawful.yaml"
        map_path.write_text(MAP)
        datamap = load_datamap(map_path).datamap
    environ = {"BENCH_EVENTS_URL": f"{PG}/{DATA_DB}"}
    keyring = Keyring.from_master(bytes(range(32)))  # a bench key, never a real one
    engine = create_store_engine(store_url)
    marks: dict[str, float] = {}

    def progress(event: StepEvent) -> None:
        marks.setdefault("first_step", time.perf_counter())
        if event.done == event.total:
            marks["last_step"] = time.perf_counter()

    factory = registry_factory(datamap, base_dir=Path("."), environ=environ)
    started = time.perf_counter()
    with Datastores(factory) as datastores:
        report = run_sweep(
            session_factory(engine),
            datamap=datamap,
            datastores=datastores,
            keyring=keyring,
            as_of=AS_OF,
            operator="bench",
            open_requests=None,
            batch_size=batch_size,
            progress=progress,
        )
    total = time.perf_counter() - started
    engine.dispose()
    assert report.job.status == "done", report.job
    (outcome,) = report.outcomes
    planned = marks.get("first_step", started) - started
    log.print(f"sweep done in {total:.1f} s (plan and record {planned:.1f} s)")
    return {
        "sweep_seconds": round(total, 1),
        "plan_and_record_seconds": round(planned, 1),
        "apply_seconds": round(total - planned, 1),
        "due": outcome["due"],
        "acted": outcome["acted"],
        "steps": sum(1 for _ in range(0, outcome["acted"], batch_size)),
    }


def _check() -> tuple[int, int]:
    engine = sa.create_engine(f"postgresql+psycopg://postgres@127.0.0.1:5432/{DATA_DB}")
    with engine.connect() as conn:
        remaining = conn.execute(sa.text("SELECT count(*) FROM events")).scalar_one()
        due = conn.execute(
            sa.text("SELECT count(*) FROM events WHERE occurred_at < '2023-11-02'")
        ).scalar_one()
    engine.dispose()
    return int(remaining), int(due)


def _server_version() -> str:
    with psycopg.connect(f"{PG}/postgres") as conn:
        row = conn.execute("SHOW server_version").fetchone()
        return str(row[0]) if row else "?"


if __name__ == "__main__":
    main()
