"""Time consent checks over HTTP and the filtering of a 1,000,000-contact audience.

    .venv/bin/python bench/consent.py                          # both parts, SQLite and PostgreSQL
    .venv/bin/python bench/consent.py --part check --workers 1 2 --backend sqlite
    .venv/bin/python bench/consent.py --part filter --contacts 1000000

The ledger is seeded with `--people` people (consents, withdrawals, channel opt-outs, erased
people on the suppression list), written straight into a store built by the migrations.

Checks: `lawful.web.app:create_app` under uvicorn in its own process(es) on 127.0.0.1 (uvloop
and httptools, as `lawful serve` runs it; `--stack plain` for asyncio and h11), asked
`POST /api/v1/consent/check` (the person in a JSON body) with an API token over `--connections` keep-alive connections by
`--client`: `wrk` (C, one thread; `apt-get install -y wrk`) for `--seconds` after a 3-second
warm-up, or the small asyncio generator of this script (raw sockets, in this process): a
bounded number of requests (`--requests`, after a warm-up), stopping after `--seconds`.
Both share the machine's cores with the server. Subjects are drawn at random: some
consented, some withdrew, some unknown.

Filter: `lawful.consent.audience.filter_audience` in this process on `--contacts` contacts
(every seeded person plus unknown ones, addresses in mixed case, some with a phone number).
Filter over HTTP (`filter-http`): the same audience posted to `POST /api/v1/consent/filter`
on one uvicorn process, answered with the allowed positions, then with the allowed contacts.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import platform
import random
import resource
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

from lawful.auth.models import ApiToken
from lawful.auth.service import token_digest
from lawful.consent.audience import filter_audience
from lawful.consent.models import ConsentEvent
from lawful.consent.service import SUBJECT_CONTEXT
from lawful.datamap.loader import load_datamap
from lawful.engine.models import Suppression
from lawful.store.crypto import Keyring
from lawful.store.db import create_store_engine, session_factory
from lawful.store.migrate import upgrade_database

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "contact-center" / "lawful.yaml"
PG = "postgresql+psycopg://postgres@127.0.0.1:5432"
PURPOSE, CHANNEL = "email_marketing", "email"
MASTER = bytes(range(32))
STACKS = {"fast": ["--loop", "uvloop", "--http", "httptools"],
          "plain": ["--loop", "asyncio", "--http", "h11"]}  # fmt: skip
log = Console(stderr=True)


def main() -> None:
    args = _arguments()
    results: list[dict[str, Any]] = []
    for backend in args.backend:
        with _store(backend, args) as store:
            if "check" in args.part:
                for workers in args.workers:
                    results.append(_check_run(store, args, workers))
            if "filter" in args.part:
                results.append(_filter_run(store, args))
            if "filter-http" in args.part:
                results += _filter_http_runs(store, args)
    Console().print(_table(results))
    print(json.dumps({"machine": _machine(), "results": results}, indent=2))


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--part",
        nargs="+",
        choices=["check", "filter", "filter-http"],
        default=["check", "filter", "filter-http"],
    )
    parser.add_argument(
        "--backend", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite", "postgresql"]
    )
    parser.add_argument("--people", type=int, default=200_000, help="People in the ledger.")
    parser.add_argument("--requests", type=int, default=20_000, help="Timed checks per run.")
    parser.add_argument("--warmup", type=int, default=2_000)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, nargs="+", default=[2], help="uvicorn processes.")
    parser.add_argument(
        "--seconds", type=float, default=60.0, help="wrk: length of a run; asyncio: hard stop."
    )
    parser.add_argument("--client", choices=["wrk", "asyncio"], default="wrk")
    parser.add_argument("--stack", choices=["fast", "plain"], default="fast",
                        help="uvicorn with uvloop + httptools (fast) or asyncio + h11 (plain).")  # fmt: skip
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="Filter runs (the median counts).")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--baseline", action="store_true",
                        help="Filter: alternate each run with the filter before issue 19 "
                             "(tests/support/audience_reference.py) and compare the answers.")  # fmt: skip
    return parser.parse_args()


# --- the store and its ledger --------------------------------------------------------------------


@dataclass
class Store:
    backend: str
    url: str
    data_dir: Path
    token: str
    people: int


@contextmanager
def _store(backend: str, args: argparse.Namespace) -> Iterator[Store]:
    with tempfile.TemporaryDirectory(prefix="lawful-bench-consent-") as folder:
        data_dir = Path(folder)
        if backend == "sqlite":
            url = f"sqlite:///{data_dir / 'lawful.db'}"
            yield _seeded(backend, url, data_dir, args)
            return
        name = f"lawful_bench_consent_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(f"{PG}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield _seeded(backend, f"{PG}/{name}", data_dir, args)
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()


def _seeded(backend: str, url: str, data_dir: Path, args: argparse.Namespace) -> Store:
    started = time.perf_counter()
    upgrade_database(url=url)
    keyring, rng = Keyring.from_master(MASTER), random.Random(args.seed)
    engine = create_store_engine(url)
    token = "lawful_bench_" + secrets.token_urlsafe(24)
    with session_factory(engine)() as db:
        db.add(ApiToken(name="bench", token_hash=token_digest(token), prefix=token[:16],
                        scopes=["consent:read"], expires_at=datetime.now(UTC) + timedelta(days=1)))  # fmt: skip
        for start in range(0, args.people, 20_000):
            rows, erased = _ledger_rows(
                keyring, rng, range(start, min(start + 20_000, args.people))
            )
            db.execute(sa.insert(ConsentEvent), rows)
            if erased:
                db.execute(sa.insert(Suppression), erased)
        db.commit()
    # Statistics for the planner, as autovacuum gathers them on a live store (and as one
    # should after any bulk load): without them PostgreSQL guesses 33 rows per purpose and
    # intersects two index scans, about five times the work of one.
    with engine.connect() as conn:
        conn.execute(sa.text("ANALYZE"))
        conn.commit()
    engine.dispose()
    log.print(
        f"{backend}: ledger of {args.people:,} people seeded in {time.perf_counter() - started:.0f} s"
    )
    return Store(backend, url, data_dir, token, args.people)


def _ledger_rows(
    keyring: Keyring, rng: random.Random, people: range
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """~60% consented, a sixth of them withdrew later, ~5% switched email off, ~2% erased."""
    base = datetime(2026, 1, 1, tzinfo=UTC)
    rows: list[dict[str, Any]] = []
    erased: list[dict[str, Any]] = []
    for n in people:
        key = f"email:person{n}@example.org"
        common = {"subject_index": keyring.index(key), "subject_type": "email",
                  "subject_sealed": keyring.encrypt(key.encode(), context=SUBJECT_CONTEXT),
                  "notice_version": "1", "notice_sha256": "0" * 64, "channel": "web_form",
                  "language": "en", "actor": "subject", "cookie_category": None}  # fmt: skip
        at = base + timedelta(minutes=n)
        draw = rng.random()
        if draw < 0.6:
            rows.append(_row(common, at, "given", PURPOSE, None, "checkbox"))
            if draw < 0.1:
                rows.append(
                    _row(
                        common,
                        at + timedelta(days=30),
                        "withdrawn",
                        PURPOSE,
                        None,
                        "one_click_unsubscribe",
                    )
                )
        elif draw < 0.65:
            rows.append(_row(common, at, "withdrawn", None, CHANNEL, "preference_center"))
        elif draw < 0.67:
            erased.append({"identity_type": "email", "created_at": at,
                           "identity_hash": keyring.suppression_hash(f"email:person{n}@example.org")})  # fmt: skip
    return rows, erased


def _row(common: dict[str, Any], at: datetime, state: str, purpose: str | None,
         contact_channel: str | None, method: str) -> dict[str, Any]:  # fmt: skip
    return {**common, "uid": uuid.uuid4().hex, "at": at, "recorded_at": at, "state": state,
            "purpose": purpose, "contact_channel": contact_channel, "method": method,
            "expires_at": None, "evidence_sealed": None}  # fmt: skip


# --- checks over HTTP ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Running:
    pid: int
    port: int


def _tree_cpu(pid: int) -> float:
    """CPU seconds used so far by a process and all its descendants (Linux /proc)."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
            times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    tree, grew = {pid}, True
    while grew:
        found = {child for child, parent in parents.items() if parent in tree} - tree
        tree |= found
        grew = bool(found)
    return sum(times.get(p, 0.0) for p in tree)


@contextmanager
def _server(store: Store, workers: int, stack: str) -> Iterator[Running]:
    port = _free_port()
    env = {**os.environ, "LAWFUL_MAP_PATH": str(EXAMPLE), "LAWFUL_DATA_DIR": str(store.data_dir),
           "LAWFUL_ENCRYPTION_KEY": base64.b64encode(MASTER).decode(),
           "LAWFUL_PUBLIC_URL": f"http://127.0.0.1:{port}"}  # fmt: skip
    if store.backend == "postgresql":
        env["LAWFUL_DATABASE_URL"] = store.url
    command = [sys.executable, "-m", "uvicorn", "lawful.web.app:create_app", "--factory",
               "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
               "--log-level", "warning", "--no-access-log", *STACKS[stack]]  # fmt: skip
    process = subprocess.Popen(command, env=env, cwd=store.data_dir)
    try:
        _wait_ready(port, process)
        yield Running(process.pid, port)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_ready(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the server stopped while starting; see its log above")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not answer /healthz within 60 s")


def _check_requests(store: Store, count: int, rng: random.Random) -> list[bytes]:
    """Raw HTTP/1.1 requests: mostly people in the ledger, a fifth unknown."""
    made = []
    for _ in range(count):
        n = rng.randrange(int(store.people * 1.25))
        body = json.dumps(
            {"subject": f"person{n}@example.org", "purpose": PURPOSE, "channel": CHANNEL}
        )
        made.append((f"POST /api/v1/consent/check HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     f"Authorization: Bearer {store.token}\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {len(body)}\r\n\r\n{body}").encode())  # fmt: skip
    return made


async def _load(
    port: int, requests: list[bytes], connections: int, seconds: float
) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    allowed = 0
    queue = iter(requests)
    deadline = time.perf_counter() + seconds

    async def connection() -> None:
        nonlocal allowed
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for request in queue:
            if time.perf_counter() > deadline:
                break
            sent = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            body = await reader.readexactly(length)
            latencies.append(time.perf_counter() - sent)
            status = head[9:12].decode()
            statuses[status] = statuses.get(status, 0) + 1
            allowed += body.startswith(b'{"allowed":true')
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(connections)))
    return {
        "elapsed": time.perf_counter() - started,
        "latencies": latencies,
        "statuses": statuses,
        "allowed": allowed,
    }


def _check_run(store: Store, args: argparse.Namespace, workers: int) -> dict[str, Any]:
    rng = random.Random(args.seed + workers)
    with _server(store, workers, args.stack) as server:
        if args.client == "wrk":
            server_cpu = _tree_cpu(server.pid)
            run = _wrk(store, server, args, rng)
        else:
            warmup = _check_requests(store, args.warmup, rng)
            asyncio.run(_load(server.port, warmup, args.connections, args.seconds))
            cpu, server_cpu = resource.getrusage(resource.RUSAGE_SELF), _tree_cpu(server.pid)
            timed = _check_requests(store, args.requests, rng)
            run = _summary(asyncio.run(_load(server.port, timed, args.connections, args.seconds)))
            run["client_cpu"] = _cpu(resource.getrusage(resource.RUSAGE_SELF)) - _cpu(cpu)
        server_cpu = _tree_cpu(server.pid) - server_cpu - run.pop("warmup_server_cpu", 0.0)
    done, elapsed = run["requests"], run.pop("elapsed")
    return {
        "part": "check", "backend": store.backend, "workers": workers, "connections": args.connections,
        "client": args.client, "stack": args.stack, "load_average": os.getloadavg(), **run,
        "per_second": round(done / elapsed),
        "load_generator_cpu_share": round(run.pop("client_cpu") / elapsed, 2),
        # CPU the server spent per check: what 2 idle cores could serve, at most
        "server_cpu_ms_per_check": round(server_cpu / done * 1000, 3),
        "capacity_on_2_idle_cores": round(2 * done / server_cpu) if server_cpu else None,
    }  # fmt: skip


def _summary(run: dict[str, Any]) -> dict[str, Any]:
    latencies = sorted(run["latencies"])
    done = len(latencies)
    return {
        "elapsed": run["elapsed"], "requests": done, "statuses": run["statuses"],
        "allowed": run["allowed"],
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[min(done - 1, int(done * 0.99))] * 1000, 2),
        "max_ms": round(latencies[-1] * 1000, 2),
    }  # fmt: skip


# wrk draws a subject per request (as `_check_requests` does) and prints its summary as JSON.
WRK_SCRIPT = """
local token, people, seed = "", 1, 1
function init(args)
  token, people, seed = args[1], tonumber(args[2]), tonumber(args[3])
  math.randomseed(seed)
end
function request()
  local n = math.random(0, people - 1)
  local body = '{"subject":"person' .. n ..
    '@example.org","purpose":"email_marketing","channel":"email"}'
  return wrk.format("POST", "/api/v1/consent/check",
    {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}, body)
end
function done(summary, latency, requests)
  io.write(string.format(
    '\\nWRK {"requests":%d,"elapsed":%f,"non_2xx":%d,"socket_errors":%d,' ..
    '"p50_ms":%.2f,"p99_ms":%.2f,"max_ms":%.2f}\\n',
    summary.requests, summary.duration / 1e6, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
"""


def _wrk(
    store: Store, server: Running, args: argparse.Namespace, rng: random.Random
) -> dict[str, Any]:
    """A 3-second warm-up, then `--seconds` of load, each by one wrk thread."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `apt-get install -y wrk`, or use --client asyncio")
    script = store.data_dir / "check.lua"
    script.write_text(WRK_SCRIPT)
    people = str(int(store.people * 1.25))  # a fifth unknown, as `_check_requests`
    url = f"http://127.0.0.1:{server.port}"

    def wrk(seconds: float) -> tuple[str, float]:
        before = _cpu(resource.getrusage(resource.RUSAGE_CHILDREN))
        command = ["wrk", "-t1", f"-c{args.connections}", f"-d{max(1, round(seconds))}s",
                   "-s", str(script), url, "--", store.token, people, str(rng.randrange(1 << 30))]  # fmt: skip
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        return out, _cpu(resource.getrusage(resource.RUSAGE_CHILDREN)) - before

    started = _tree_cpu(server.pid)
    wrk(3)
    warmup_cpu = _tree_cpu(server.pid) - started
    out, client_cpu = wrk(args.seconds)
    line = next(x for x in out.splitlines() if x.startswith("WRK "))
    found = json.loads(line[4:])
    statuses = {"2xx": found["requests"] - found["non_2xx"], "other": found["non_2xx"],
                "socket_errors": found.pop("socket_errors")}  # fmt: skip
    found.pop("non_2xx")
    return {
        **found,
        "statuses": statuses,
        "client_cpu": client_cpu,
        "warmup_server_cpu": warmup_cpu,
    }


def _cpu(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


# --- filtering an audience -----------------------------------------------------------------------


def _contacts(count: int, rng: random.Random) -> list[dict[str, str]]:
    """Made in a random order (as a list read from JSON is laid out in memory in its own
    order): every seeded person and unknown ones, a seventh in mixed case, a tenth with a
    phone number too."""
    order = list(range(count))
    rng.shuffle(order)
    contacts = []
    for n in order:
        email = f"Person{n}@Example.org" if n % 7 == 0 else f"person{n}@example.org"
        contact = {"email": email, "id": str(n)}
        if n % 10 == 0:
            contact["phone"] = f"+3361{n:07d}"
        contacts.append(contact)
    return contacts


def _filter_run(store: Store, args: argparse.Namespace) -> dict[str, Any]:
    datamap = load_datamap(EXAMPLE).datamap
    keyring = Keyring.from_master(MASTER)
    contacts = _contacts(args.contacts, random.Random(args.seed))
    engine = create_store_engine(store.url)
    filters: dict[str, Any] = {"after": filter_audience}
    if args.baseline:  # the filter as it was, alternated with the current one
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from tests.support.audience_reference import filter_audience as before

        filters = {"before": before, "after": filter_audience}
    times: dict[str, list[float]] = {name: [] for name in filters}
    cpu: dict[str, list[float]] = {name: [] for name in filters}
    results: dict[str, Any] = {}
    for _ in range(args.repeat):
        for name, run in filters.items():
            with session_factory(engine)() as db:
                started, cpu_started = time.perf_counter(), time.process_time()
                results[name] = run(db, datamap=datamap, keyring=keyring, contacts=contacts,
                                    purpose=PURPOSE, channel=CHANNEL)  # fmt: skip
                times[name].append(time.perf_counter() - started)
                cpu[name].append(time.process_time() - cpu_started)
    engine.dispose()
    result = results["after"]
    if args.baseline:  # the same answer, or the figures mean nothing
        assert result.allowed == results["before"].allowed
        assert result.excluded == results["before"].excluded
    return {
        "part": "filter", "backend": store.backend, "contacts": args.contacts,
        "allowed": len(result.allowed), "excluded": result.excluded,
        "seconds_median": round(statistics.median(times["after"]), 2),
        "seconds_all": [round(t, 2) for t in times["after"]],
        "cpu_seconds_median": round(statistics.median(cpu["after"]), 2),
        "load_average": os.getloadavg(),
        **({"before_seconds_median": round(statistics.median(times["before"]), 2),
            "before_seconds_all": [round(t, 2) for t in times["before"]],
            "before_cpu_seconds_median": round(statistics.median(cpu["before"]), 2)}
           if args.baseline else {}),
    }  # fmt: skip


def _filter_http_runs(store: Store, args: argparse.Namespace) -> list[dict[str, Any]]:
    """The same audience sent to `POST /api/v1/consent/filter` on `lawful serve` (one
    worker): the JSON body in, the filter, the answer out, as a client sees it."""
    contacts = _contacts(args.contacts, random.Random(args.seed))
    body = json.dumps({"purpose": PURPOSE, "channel": CHANNEL, "contacts": contacts}).encode()
    headers = {"Authorization": f"Bearer {store.token}", "Content-Type": "application/json"}
    runs = []
    with _server(store, 1, args.stack) as server:
        for answer in ("positions", "contacts"):
            url = f"http://127.0.0.1:{server.port}/api/v1/consent/filter?answer={answer}"
            times, allowed, size = [], 0, 0
            for _ in range(args.repeat):
                started = time.perf_counter()
                reply = httpx.post(url, content=body, headers=headers, timeout=300)
                times.append(time.perf_counter() - started)
                reply.raise_for_status()
                allowed, size = reply.json()["allowed_count"], len(reply.content)
            runs.append({
                "part": "filter-http", "backend": store.backend, "contacts": args.contacts,
                "answer": answer, "request_mb": round(len(body) / 1e6, 1),
                "response_mb": round(size / 1e6, 1), "allowed": allowed,
                "seconds_median": round(statistics.median(times), 2),
                "seconds_all": [round(t, 2) for t in times], "load_average": os.getloadavg(),
            })  # fmt: skip
    return runs


# --- report --------------------------------------------------------------------------------------


def _machine() -> dict[str, Any]:
    return {"python": platform.python_version(), "cpus": os.cpu_count(),
            "load_average": os.getloadavg(), "when": datetime.now(UTC).isoformat(timespec="seconds")}  # fmt: skip


def _table(results: list[dict[str, Any]]) -> Table:
    table = Table(title="Consent benchmark")
    for column in ("part", "backend", "setting", "result", "latency (p50 / p99)"):
        table.add_column(column)
    for r in results:
        if r["part"] == "check":
            table.add_row("check", r["backend"], f"{r['workers']} worker(s), {r['connections']} conn.",
                          f"{r['per_second']:,} req/s ({r['requests']:,} requests, {r['statuses']})",
                          f"{r['p50_ms']} / {r['p99_ms']} ms")  # fmt: skip
        elif r["part"] == "filter-http":
            table.add_row("filter (HTTP)", r["backend"],
                          f"{r['contacts']:,} contacts, {r['request_mb']} MB in, answer={r['answer']}",
                          f"{r['seconds_median']} s ({r['allowed']:,} allowed, {r['response_mb']} MB out)", "")  # fmt: skip
        else:
            before = (f", before: {r['before_seconds_median']} s"
                      if "before_seconds_median" in r else "")  # fmt: skip
            table.add_row("filter", r["backend"], f"{r['contacts']:,} contacts",
                          f"{r['seconds_median']} s ({r['allowed']:,} allowed){before}", "")  # fmt: skip
    return table


if __name__ == "__main__":
    main()
