"""Time rights requests on the example company: one access, one erasure, 1,000 erasures.

    .venv/bin/python bench/dsr.py                                   # 1,000,000 subjects, both
    .venv/bin/python bench/dsr.py --subjects 20000 --backend sqlite  # a quick look
    .venv/bin/python bench/dsr.py --shape popular --backend postgresql  # popular products

The example company is generated once into `--data` (kept for the next run). For PostgreSQL
it is copied into the database `--pg-database` (default `lawful_bench` for 1,000,000
subjects, `lawful_bench_<subjects>` otherwise, so a small run never replaces the big copy;
one schema per system, with the demo's indexes); the platform store is PostgreSQL too
(`<database>_store`), as in production. For SQLite, the engine works on the generated files
and the store is the embedded SQLite default. Data kept from an earlier run gets the identity
indexes the engine needs (`lower(trim(email))`, `lawful.demo.indexes`) when it lacks them.

Each request is timed end to end as `lawful dsr` runs it, with one long-lived set of
connectors (as a worker keeps them): plan, check the stores, read, label or plan the
changes, record the job and its checkpoints, apply, commit. People are drawn at random
among those with an email address we control (candidates, employees, business contacts,
prospects); each erasure is of a different person.

`--shape popular` times the same requests on a shop whose few products everyone buys
(bench/popular_shop.py, PostgreSQL only, 500,000 customers by default): each person's order
items point at products hundreds of thousands of other items point at.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import popular_shop
import psycopg
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from lawful.datamap.loader import load_datamap
from lawful.datamap.models import Connection, DataMap
from lawful.demo.generate import generate_company
from lawful.demo.indexes import add_identity_indexes, identity_indexes
from lawful.engine.access import run_access
from lawful.engine.datastores import Datastores, registry_factory
from lawful.engine.erasure import run_erasure
from lawful.engine.identity import Identity, parse_identity
from lawful.engine.package import write_access_package
from lawful.retention.holds import legal_holds_on
from lawful.store.crypto import Keyring
from lawful.store.db import create_store_engine, session_factory
from lawful.store.migrate import upgrade_database

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "contact-center" / "lawful.yaml"
PG = "postgresql://postgres@127.0.0.1:5432"
BATCH_KEY = os.urandom(32)  # one key for all worker processes, as one deployment has
FULL_SIZE = 1_000_000  # subjects: the kept copy in `lawful_bench`
# Where people with an email address we control live: (system, table, key, email column).
PEOPLE = (
    ("ats", "candidates", "candidate_id", "email"),
    ("hris", "employees", "employee_id", "personal_email"),
    ("crm", "contacts", "contact_id", "email"),
    ("marketing", "prospects", "prospect_id", "email"),
)
log = Console(stderr=True)


@dataclass
class Target:
    """The example company on one backend, ready for the engine."""

    backend: str
    datamap: DataMap
    base_dir: Path
    environ: dict[str, str]
    store_url: str
    people: Callable[[int, random.Random], list[str]]


def main() -> None:
    args = _arguments()
    popular = args.shape == "popular"
    if popular and args.backend != ["postgresql"]:
        raise SystemExit("--shape popular runs on PostgreSQL only: add --backend postgresql")
    subjects = args.subjects or (popular_shop.FULL_SIZE if popular else FULL_SIZE)
    data = args.data if popular else _demo(args.data, subjects, args.seed)
    database = args.pg_database or _database_name(subjects, args.shape)
    results = []
    for backend in args.backend:
        chosen = _popular_target(subjects, database) if popular else None
        with chosen or _target(backend, data, subjects, database) as target:
            results.append(
                _measure(
                    target,
                    samples=args.samples,
                    batch=args.batch,
                    seed=args.seed,
                    workers=args.workers,
                )
            )
    Console().print(_table(results, subjects=subjects, batch=args.batch, shape=args.shape))
    print(json.dumps(results, indent=2))


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shape",
        choices=["company", "popular"],
        default="company",
        help="The example company, or a shop whose few products everyone buys.",
    )
    parser.add_argument(
        "--subjects",
        type=int,
        help=f"People (default {FULL_SIZE:,}; customers for --shape popular,"
        f" default {popular_shop.FULL_SIZE:,}).",
    )
    parser.add_argument(
        "--backend", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite", "postgresql"]
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=Path(tempfile.gettempdir()) / "lawful-bench" / "dsr",
        help="Where the generated company is kept between runs.",
    )
    parser.add_argument(
        "--samples", type=int, default=200, help="Timed single requests of each kind."
    )
    parser.add_argument("--batch", type=int, default=1000, help="Erasures in the timed batch.")
    parser.add_argument(
        "--workers", type=int, default=1, help="Processes sharing the batch (one per core: 2)."
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--pg-database",
        help="PostgreSQL database of the copy (default: lawful_bench, or lawful_bench_<subjects>"
        " below 1,000,000 subjects); its store is <name>_store.",
    )
    return parser.parse_args()


def _database_name(subjects: int, shape: str) -> str:
    if shape == "popular":
        full = subjects == popular_shop.FULL_SIZE
        return "lawful_bench_popular" if full else f"lawful_bench_popular_{subjects}"
    return "lawful_bench" if subjects == FULL_SIZE else f"lawful_bench_{subjects}"


# --- the data ------------------------------------------------------------------------------------


def _demo(folder: Path, subjects: int, seed: int) -> Path:
    """The generated company, reused when the marker says it has the same size and seed."""
    marker = folder / "generated.json"
    wanted = {"subjects": subjects, "seed": seed}
    if marker.exists() and json.loads(marker.read_text()) == wanted:
        log.print(f"reusing the example company in {folder}")
        # Kept from an earlier generator, maybe without the identity indexes: add the missing.
        datamap = load_datamap(EXAMPLE).datamap
        files = {sid: folder / name for sid, name in _sqlite_files(datamap).items()}
        add_identity_indexes(datamap, files=files)
        return folder
    log.print(f"generating {subjects:,} subjects into {folder} …")
    started = time.perf_counter()
    generate_company(subjects=subjects, out_dir=folder, seed=seed, console=Console(quiet=True))
    marker.write_text(json.dumps(wanted))
    log.print(f"generated in {time.perf_counter() - started:.0f} s")
    return folder


def _sqlite_files(datamap: DataMap) -> dict[str, str]:
    return {
        sid: s.connection.path
        for sid, s in datamap.systems.items()
        if s.connection is not None and s.connection.type == "sqlite" and s.connection.path
    }


@contextmanager
def _target(backend: str, data: Path, subjects: int, database: str) -> Iterator[Target]:
    datamap = load_datamap(EXAMPLE).datamap
    with tempfile.TemporaryDirectory(prefix="lawful-bench-") as scratch:
        if backend == "sqlite":
            store = f"sqlite:///{Path(scratch) / 'lawful.db'}"
            upgrade_database(url=store)
            yield Target(backend, datamap, data, {}, store, _sqlite_people(data, datamap))
            return
        urls = _load_postgresql(data, datamap, subjects, database)
        store = _fresh_pg_database(f"{database}_store")
        store = store.replace("postgresql://", "postgresql+psycopg://")
        upgrade_database(url=store)
        systems = {
            sid: s.model_copy(
                update={"connection": Connection(type="postgresql", url_env=f"{sid.upper()}_URL")}
            )
            if sid in urls
            else s
            for sid, s in datamap.systems.items()
        }
        environ = {f"{sid.upper()}_URL": url for sid, url in urls.items()}
        moved = datamap.model_copy(update={"systems": systems})
        yield Target(backend, moved, data, environ, store, _pg_people(database))


@contextmanager
def _popular_target(customers: int, database: str) -> Iterator[Target]:
    log.print(f"the popular-products shop ({customers:,} customers) in {database} …")
    started = time.perf_counter()
    url = popular_shop.load(PG, database, customers)
    log.print(f"ready in {time.perf_counter() - started:.0f} s")
    store = _fresh_pg_database(f"{database}_store").replace(
        "postgresql://", "postgresql+psycopg://"
    )
    upgrade_database(url=store)
    datamap = load_datamap(popular_shop.MAP).datamap
    environ = {"SHOP_URL": url}
    yield Target(
        "postgresql", datamap, popular_shop.MAP.parent, environ, store, popular_shop.people(url)
    )


def _fresh_pg_database(name: str) -> str:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG}/{name}"


def _load_postgresql(data: Path, datamap: DataMap, subjects: int, database: str) -> dict[str, str]:
    """Copy every system's SQLite file into its own schema of `database` (COPY, the same
    column indexes, the identity indexes, then ANALYZE); when the database already holds
    this size, only the missing identity indexes are added (then ANALYZE)."""
    files = _sqlite_files(datamap)
    urls = {sid: f"{PG}/{database}?options=-csearch_path%3D{sid}" for sid in files}
    marker = json.dumps({"subjects": subjects, "data": str(data)})
    if _pg_marker(database) == marker:
        log.print(f"reusing the PostgreSQL copy in {database}")
        with psycopg.connect(f"{PG}/{database}", autocommit=True) as conn:
            _identity_indexes(conn, datamap)
        return urls
    started = time.perf_counter()
    _fresh_pg_database(database)
    with psycopg.connect(f"{PG}/{database}", autocommit=True) as conn:
        for sid, file in files.items():
            log.print(f"copying {file} into PostgreSQL schema {sid} …")
            conn.execute(f'CREATE SCHEMA "{sid}"')
            _copy_schema(conn, data / file, sid)
        _identity_indexes(conn, datamap)
        conn.execute("CREATE TABLE public.bench_marker (value text)")
        conn.execute("INSERT INTO public.bench_marker VALUES (%s)", (marker,))
    log.print(f"loaded PostgreSQL in {time.perf_counter() - started:.0f} s")
    return urls


def _identity_indexes(conn: psycopg.Connection[Any], datamap: DataMap) -> None:
    """`CREATE INDEX IF NOT EXISTS … (lower(trim(email)))` in each system's schema, as the
    generator makes them on SQLite, then fresh statistics for the planner."""
    started = time.perf_counter()
    for statements in identity_indexes(datamap, backend="postgresql", schemas=True).values():
        for statement in statements:
            conn.execute(statement)
    conn.execute("ANALYZE")
    log.print(f"identity indexes and ANALYZE in {time.perf_counter() - started:.0f} s")


def _pg_marker(database: str) -> str | None:
    try:
        with psycopg.connect(f"{PG}/{database}") as conn:
            row = conn.execute("SELECT value FROM public.bench_marker").fetchone()
    except psycopg.Error:
        return None
    return row[0] if row else None


_PG_TYPES = {"INTEGER": "bigint", "REAL": "double precision", "TEXT": "text", "BLOB": "bytea"}


def _copy_schema(conn: psycopg.Connection[Any], file: Path, schema: str) -> None:
    with closing(sqlite3.connect(file)) as source:
        tables = [
            r[0] for r in source.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        for table in tables:
            columns = source.execute(f'PRAGMA table_info("{table}")').fetchall()
            ddl = ", ".join(
                f'"{c[1]}" {_PG_TYPES.get(c[2].upper(), "text")}{" PRIMARY KEY" if c[5] else ""}'
                for c in columns
            )
            conn.execute(f'CREATE TABLE "{schema}"."{table}" ({ddl})')
            names = ", ".join(f'"{c[1]}"' for c in columns)
            with conn.cursor().copy(f'COPY "{schema}"."{table}" ({names}) FROM STDIN') as copy:
                for row in source.execute(f'SELECT {names} FROM "{table}"'):
                    copy.write_row(row)
        for name, table in source.execute(
            "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        ):
            columns = [r[2] for r in source.execute(f'PRAGMA index_info("{name}")')]
            if None in columns:  # an expression: the identity indexes come from the map
                continue
            conn.execute(f'CREATE INDEX "{name}" ON "{schema}"."{table}" ({", ".join(columns)})')


def _sqlite_people(data: Path, datamap: DataMap) -> Callable[[int, random.Random], list[str]]:
    files = _sqlite_files(datamap)

    def fetch(system: str, query: str) -> list[Any]:
        with closing(sqlite3.connect(data / files[system])) as conn:
            return [r[0] for r in conn.execute(query)]

    return lambda count, rng: _draw(fetch, count, rng)


def _pg_people(database: str) -> Callable[[int, random.Random], list[str]]:
    def fetch(system: str, query: str) -> list[Any]:
        with psycopg.connect(f"{PG}/{database}", options=f"-csearch_path={system}") as conn:
            return [r[0] for r in conn.execute(query)]

    return lambda count, rng: _draw(fetch, count, rng)


def _draw(fetch: Callable[[str, str], list[Any]], count: int, rng: random.Random) -> list[str]:
    """`count` distinct emails of people not erased yet, each table weighted by its size."""
    sizes = {p: fetch(p[0], f"SELECT max({p[2]}) FROM {p[1]}")[0] or 0 for p in PEOPLE}
    chosen: set[str] = set()
    while len(chosen) < count:
        wanted = count - len(chosen)
        picks: dict[tuple[str, str, str, str], set[int]] = {}
        for _ in range(wanted * 2):
            person = rng.choices(list(sizes), weights=list(sizes.values()))[0]
            picks.setdefault(person, set()).add(rng.randint(1, sizes[person]))
        for (system, table, key, email), ids in picks.items():
            query = f"SELECT {email} FROM {table} WHERE {key} IN ({','.join(map(str, ids))}) AND {email} LIKE '%@%'"
            chosen.update(fetch(system, query))
    return sorted(chosen)[:count] if len(chosen) > count else list(chosen)


# --- the measurements ---------------------------------------------------------------------------


def _measure(
    target: Target, *, samples: int, batch: int, seed: int, workers: int
) -> dict[str, Any]:
    rng = random.Random(seed)
    # Different people for each measurement, so no request finds another's rows in a cache.
    sizes = {
        "access": samples + 10,
        "package": 55,
        "erasure": samples + 10,
        "batch": batch,
    }
    drawn = target.people(sum(sizes.values()), rng)
    rng.shuffle(drawn)
    groups: dict[str, list[str]] = {}
    for name, size in sizes.items():
        groups[name], drawn = drawn[:size], drawn[size:]
    keyring = Keyring.from_master(os.urandom(32))
    engine = create_store_engine(target.store_url)
    sessions = session_factory(engine)
    factory = registry_factory(target.datamap, base_dir=target.base_dir, environ=target.environ)
    with Datastores(factory) as datastores, tempfile.TemporaryDirectory() as scratch:
        identity = _identities(target.datamap)
        access = [
            _time(lambda p=p: _access(sessions, target, datastores, keyring, identity(p)))
            for p in groups["access"]
        ]
        package = [
            _time(
                lambda p=p: _access(
                    sessions, target, datastores, keyring, identity(p), Path(scratch) / "p.zip"
                )
            )
            for p in groups["package"]
        ]
        erasure = [
            _time(lambda p=p: _erase(sessions, target, datastores, keyring, identity(p)))
            for p in groups["erasure"]
        ]
    engine.dispose()
    log.print(f"{target.backend}: {batch:,} erasures by {workers} worker process(es) …")
    batch_seconds = _erase_batch(target, groups["batch"], workers=workers)
    return {
        "backend": target.backend,
        "access_ms": _stats([wall for wall, _ in access[10:]]),
        "access_with_package_ms": _stats([wall for wall, _ in package[5:]]),
        "erasure_ms": _stats([wall for wall, _ in erasure[10:]]),
        # CPU time of this process per request (median): what the machine's load moves least.
        "access_cpu_ms": round(statistics.median(cpu for _, cpu in access[10:]), 1),
        "erasure_cpu_ms": round(statistics.median(cpu for _, cpu in erasure[10:]), 1),
        "batch_erasures": len(groups["batch"]),
        "batch_workers": workers,
        "batch_seconds": round(batch_seconds, 1),
    }


def _erase_batch(target: Target, people: list[str], *, workers: int) -> float:
    """Erase `people` one after the other in each of `workers` processes (as that many
    `lawful worker` processes would), each with its own connections; the wall time of all."""
    context = multiprocessing.get_context("fork")
    slices = [people[n::workers] for n in range(workers)]
    started = time.perf_counter()
    processes = [context.Process(target=_erase_all, args=(target, part)) for part in slices]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    if any(process.exitcode != 0 for process in processes):
        raise RuntimeError("a worker process failed: see its output above")
    return time.perf_counter() - started


def _erase_all(target: Target, people: list[str]) -> None:
    keyring = Keyring.from_master(BATCH_KEY)
    engine = create_store_engine(target.store_url)
    factory = registry_factory(target.datamap, base_dir=target.base_dir, environ=target.environ)
    identity = _identities(target.datamap)
    with Datastores(factory) as datastores:
        for person in people:
            _erase(session_factory(engine), target, datastores, keyring, identity(person))
    engine.dispose()


def _identities(datamap: DataMap) -> Callable[[str], Identity]:
    return lambda email: parse_identity([f"email={email}"], datamap=datamap)


def _access(
    sessions: sessionmaker[Session],
    target: Target,
    datastores: Datastores,
    keyring: Keyring,
    person: Identity,
    package: Path | None = None,
) -> None:
    with sessions() as session:
        result = run_access(
            session, datamap=target.datamap, identity=person, datastores=datastores, keyring=keyring
        )
        if package is not None:
            write_access_package(result=result, datamap=target.datamap, path=package)
        session.commit()


def _erase(
    sessions: sessionmaker[Session],
    target: Target,
    datastores: Datastores,
    keyring: Keyring,
    person: Identity,
) -> None:
    report = run_erasure(
        sessions,
        datamap=target.datamap,
        identity=person,
        datastores=datastores,
        keyring=keyring,
        today=date.today(),
        holds=legal_holds_on,
    )
    if report.status != "done":
        raise RuntimeError(f"erasure job {report.job_id} ended {report.status}")


def _time(action: Callable[[], None]) -> tuple[float, float]:
    """Wall and CPU (this process) milliseconds of one request."""
    started, cpu = time.perf_counter(), time.process_time()
    action()
    return (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000


def _stats(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {"n": len(ordered), "p50": round(statistics.median(ordered), 1), "p99": round(p99, 1)}


def _table(results: list[dict[str, Any]], *, subjects: int, batch: int, shape: str) -> Table:
    what = "example company" if shape == "company" else "popular-products shop"
    table = Table(
        title=f"Rights requests, {what}, {subjects:,} subjects ({platform.python_version()})"
    )
    for column in (
        "backend",
        "access p50 / p99 ms",
        "access + package p50 / p99 ms",
        "erasure p50 / p99 ms",
        "CPU ms access / erasure",
        f"{batch:,} erasures s",
    ):
        table.add_column(column, justify="right")
    for r in results:
        table.add_row(
            r["backend"],
            f"{r['access_ms']['p50']} / {r['access_ms']['p99']}",
            f"{r['access_with_package_ms']['p50']} / {r['access_with_package_ms']['p99']}",
            f"{r['erasure_ms']['p50']} / {r['erasure_ms']['p99']}",
            f"{r['access_cpu_ms']} / {r['erasure_cpu_ms']}",
            f"{r['batch_seconds']} ({r['batch_workers']} worker(s))",
        )
    return table


if __name__ == "__main__":
    main()
