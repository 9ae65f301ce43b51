"""Load test: rights requests through the API in bursts, run by two Celery workers.

    .venv/bin/python bench/load.py                                        # 10,000 requests
    .venv/bin/python bench/load.py --subjects 20000 --requests 300 --burst 100   # a quick look

Everything runs on loopback as a deployment would: `lawful serve` (uvicorn) and two
`lawful worker` processes in subprocesses, a PostgreSQL platform store (a fresh database per
run, dropped at the end), Redis (or RabbitMQ) as the broker, an SMTP server (aiosmtpd, in this
process) that receives every mail, and the example company from `bench/dsr.py` copied into
PostgreSQL (`lawful_bench`, one schema per system, kept between runs).

People are drawn as `bench/dsr.py` draws them (an email address we control, a different
person per request). Each request is made with `POST /api/v1/requests`, in bursts; where the
law asks for proof (access, erasure) its code is read from the mail the workers sent and
entered with `POST …/verify`, then staff approve it with an API token (`POST
/api/v1/staff/requests/{reference}/approve`); the absolute rights (objection to direct
marketing, consent withdrawal, opt-out of sale) need no proof and are approved at intake.
The run ends when every request has reached a final status, or at `--seconds`; then the
store is checked: every request there, every deadline set as the law computes it, none
left open, no task failed, no HTTP error.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import email
import email.policy
import json
import os
import platform
import random
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psycopg
from aiosmtpd.smtp import SMTP, Envelope
from dsr import EXAMPLE, PG, _demo, _fresh_pg_database, _load_postgresql, _pg_people, _sqlite_files
from kombu import Connection as BrokerConnection
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select

from lawful.auth.models import ApiToken
from lawful.auth.service import token_digest
from lawful.datamap.loader import load_datamap
from lawful.datamap.models import DataMap
from lawful.law.requests import RequestType
from lawful.requests.clock import at_receipt
from lawful.requests.models import RightsRequest
from lawful.store.db import create_store_engine, session_factory
from lawful.store.migrate import upgrade_database

LAWFUL = Path(sys.executable).with_name("lawful")
BROKERS = {"redis": "redis://127.0.0.1:6379/11", "rabbitmq": "amqp://guest@127.0.0.1:5672//"}
FINAL = ("completed", "partially_completed", "forwarded")
STAFF_APPROVED = frozenset({"access", "erasure"})
# (type, share of requests, where people live): mostly the absolute rights, approved
# without staff; access and erasure need a code and a staff decision.
MIX: tuple[tuple[str, float, tuple[tuple[str, str | None], ...]], ...] = (
    ("objection_direct_marketing", 0.30, (("FR", None), ("GR", None), ("DE", None))),
    ("consent_withdrawal", 0.20, (("FR", None), ("GR", None), ("IT", None))),
    ("opt_out_sale_sharing", 0.20, (("US", "CA"),)),
    ("access", 0.15, (("FR", None), ("GR", None), ("US", "CA"))),
    ("erasure", 0.15, (("FR", None), ("GR", None), ("US", "CA"))),
)
CODE_MAIL = re.compile(r"Your code for request (\w+) is:\s+(\d+)")
log = Console(stderr=True)


def main() -> None:
    args = _arguments()
    data = _demo(args.data, args.subjects, args.seed)
    datamap = load_datamap(EXAMPLE).datamap
    urls = _load_postgresql(data, datamap, args.subjects)
    plan = _plan(args.requests, args.seed)
    log.print(f"drawing {args.requests:,} people …")
    people = _pg_people()(args.requests, random.Random(args.seed))
    for item, person in zip(plan, people, strict=True):
        item.email = person
    result = asyncio.run(_run(args, data, datamap, urls, plan))
    Console().print(_table(result))
    print(json.dumps(result, indent=2))
    if not result["ok"]:
        raise SystemExit(1)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--burst", type=int, default=500, help="Requests made at once.")
    parser.add_argument("--pause", type=float, default=5, help="Seconds between two bursts.")
    parser.add_argument(
        "--connections", type=int, default=32, help="HTTP connections of the load generator."
    )
    parser.add_argument("--broker", choices=sorted(BROKERS), default="redis")
    parser.add_argument("--workers", type=int, default=2, help="`lawful worker` processes.")
    parser.add_argument("--concurrency", type=int, default=2, help="Threads per worker.")
    parser.add_argument(
        "--seconds", type=float, default=1500, help="Hard limit on the load phase (wall time)."
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=Path(tempfile.gettempdir()) / "lawful-bench" / "dsr",
        help="Where the generated company is kept between runs (shared with bench/dsr.py).",
    )
    parser.add_argument(
        "--logs",
        type=Path,
        default=Path(tempfile.gettempdir()) / "lawful-bench" / "load-logs",
        help="The server's and workers' logs (replaced on every run).",
    )
    parser.add_argument("--seed", type=int, default=2026)
    return parser.parse_args()


# --- what is asked --------------------------------------------------------------------------------


@dataclass
class Planned:
    """One request of the run and what happened to it, as the person saw it."""

    kind: str
    country: str
    region: str | None
    email: str = ""
    reference: str = ""
    started: float = 0.0  # time.time() when it was sent
    submit_ms: float = 0.0
    steps: list[str] = field(default_factory=list)


def _plan(count: int, seed: int) -> list[Planned]:
    rng = random.Random(seed + 1)
    planned = []
    for _ in range(count):
        kind, _share, places = rng.choices(MIX, weights=[m[1] for m in MIX])[0]
        country, region = rng.choice(places)
        planned.append(Planned(kind, country, region))
    return planned


def _intake(item: Planned) -> dict[str, Any]:
    body: dict[str, Any] = {"type": item.kind, "email": item.email, "country": item.country}
    if item.region:
        body["region"] = item.region
    if item.kind == "consent_withdrawal":
        body["purpose"] = "email_marketing"
    return body


# --- the installation -----------------------------------------------------------------------------


@dataclass
class Installation:
    store_url: str
    token: str
    base_url: str
    environ: dict[str, str]
    processes: list[subprocess.Popen[bytes]]


def _pg_map(folder: Path, datamap: DataMap, urls: dict[str, str]) -> Path:
    """A copy of the example map whose systems point at their PostgreSQL schemas (read
    from `<SYSTEM>_URL`, as bench/dsr.py points them)."""
    copy = folder / "map"
    shutil.copytree(EXAMPLE.parent, copy)
    files = _sqlite_files(datamap)
    for path in copy.rglob("*.yaml"):
        text = path.read_text()
        for sid, file in files.items():
            if sid in urls:
                text = text.replace(
                    f"{{type: sqlite, path: {file}}}",
                    f"{{type: postgresql, url_env: {sid.upper()}_URL}}",
                )
        path.write_text(text)
    moved = load_datamap(copy / EXAMPLE.name).datamap
    left = [s for s, spec in moved.systems.items() if spec.connection and spec.connection.path]
    if left:
        raise SystemExit(f"systems still on SQLite in the copied map: {left}")
    return copy / EXAMPLE.name


@contextmanager
def _store() -> Iterator[str]:
    name = f"lawful_bench_load_{uuid.uuid4().hex[:8]}"
    url = _fresh_pg_database(name).replace("postgresql://", "postgresql+psycopg://")
    try:
        upgrade_database(url=url)
        yield url
    finally:
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _staff_token(store_url: str) -> str:
    token = "lawful_bench_" + secrets.token_urlsafe(24)
    engine = create_store_engine(store_url)
    with session_factory(engine)() as db:
        db.add(ApiToken(name="bench staff", token_hash=token_digest(token), prefix=token[:16],
                        scopes=["requests:read", "requests:write"],
                        expires_at=datetime.now(UTC) + timedelta(days=1)))  # fmt: skip
        db.commit()
    engine.dispose()
    return token


def _broker_ready(url: str) -> None:
    """Our queue must be empty and unconsumed: a stranger's worker would take our tasks."""
    with BrokerConnection(url, connect_timeout=3) as conn:  # type: ignore[no-untyped-call]
        channel = conn.default_channel
        declared = channel.queue_declare(queue="lawful", durable=True, auto_delete=False)
        if declared.consumer_count:
            raise SystemExit(f"{declared.consumer_count} worker(s) already consume {url}")
        channel.queue_purge("lawful")


def _environ(args: argparse.Namespace, store_url: str, map_path: Path, urls: dict[str, str],
             port: int, smtp_port: int, data: Path) -> dict[str, str]:  # fmt: skip
    return {
        **os.environ,
        **{f"{sid.upper()}_URL": url for sid, url in urls.items()},
        "LAWFUL_DATABASE_URL": store_url,
        "LAWFUL_ENCRYPTION_KEY": base64.b64encode(os.urandom(32)).decode(),
        "LAWFUL_BROKER_URL": BROKERS[args.broker],
        "LAWFUL_MAP_PATH": str(map_path),
        "LAWFUL_DATASTORE_DIR": str(data),
        "LAWFUL_DATA_DIR": str(map_path.parent),
        "LAWFUL_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "LAWFUL_SMTP_HOST": "127.0.0.1",
        "LAWFUL_SMTP_PORT": str(smtp_port),
        "LAWFUL_SMTP_STARTTLS": "false",
        # Every request comes from 127.0.0.1: the per-IP limit of the public endpoints
        # (20 a minute by default) is raised to its maximum for the run.
        "LAWFUL_RATE_LIMIT_PER_MINUTE": "100000",
        "LAWFUL_RATE_LIMIT_BURST": "100000",
    }


def _start(command: list[str], env: dict[str, str], logs: Path) -> subprocess.Popen[bytes]:
    """`lawful COMMAND …` in its own process group, its output in `logs/<name>.log`."""
    name = command[-1] if command[0] == "worker" else command[0]
    with (logs / f"{name}.log").open("wb") as out:
        return subprocess.Popen(
            [str(LAWFUL), *command], env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM (Celery's warm shutdown, uvicorn's graceful one), then SIGKILL after 20 s."""
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


async def _wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            if process.poll() is not None:
                raise SystemExit("the server stopped while starting: see its log")
            try:
                if (await client.get(f"{url}/healthz", timeout=1)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit("the server did not answer /healthz within 60 s")


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- the mail server ------------------------------------------------------------------------------


class Mailbox:
    """aiosmtpd handler: keeps the count of mail and hands each code to whoever waits for it."""

    def __init__(self) -> None:
        self.codes: dict[str, asyncio.Future[str]] = {}
        self.received = 0
        self.unmatched: list[str] = []

    def code_for(self, reference: str) -> asyncio.Future[str]:
        if reference not in self.codes:
            self.codes[reference] = asyncio.get_running_loop().create_future()
        return self.codes[reference]

    async def handle_DATA(self, server: SMTP, session: Any, envelope: Envelope) -> str:  # noqa: N802
        self.received += 1
        message = email.message_from_bytes(envelope.content or b"", policy=email.policy.default)
        part = message.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
        text = part.get_content() if part else ""
        found = CODE_MAIL.search(text)
        if found is None and "code" in str(message["Subject"]).lower():
            self.unmatched.append(text[:2000])  # a code mail the pattern missed: shown at the end
        if found:
            future = self.code_for(found.group(1))
            if not future.done():
                future.set_result(found.group(2))
        return "250 OK"


# --- the load -------------------------------------------------------------------------------------


@dataclass
class Tally:
    errors: list[dict[str, Any]] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)
    bursts: list[float] = field(default_factory=list)


async def _run(
    args: argparse.Namespace,
    data: Path,
    datamap: DataMap,
    urls: dict[str, str],
    plan: list[Planned],
) -> dict[str, Any]:
    mailbox = Mailbox()
    smtp_port, port = _free_port(), _free_port()
    loop = asyncio.get_running_loop()
    smtp = await loop.create_server(
        lambda: SMTP(mailbox, hostname="bench", data_size_limit=None), "127.0.0.1", smtp_port
    )
    shutil.rmtree(args.logs, ignore_errors=True)
    args.logs.mkdir(parents=True)
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="lawful-load-") as scratch:
        stack.callback(smtp.close)
        store_url = stack.enter_context(_store())
        token = _staff_token(store_url)
        _broker_ready(BROKERS[args.broker])
        map_path = _pg_map(Path(scratch), datamap, urls)
        env = _environ(args, store_url, map_path, urls, port, smtp_port, data)
        processes: list[subprocess.Popen[bytes]] = []
        stack.callback(_stop, processes)
        stack.callback(_purge, BROKERS[args.broker])
        processes.append(
            _start(["serve", "--host", "127.0.0.1", "--port", str(port)], env, args.logs)
        )
        for n in range(args.workers):
            worker = ["worker", "--concurrency", str(args.concurrency), "--name", f"bench-{n + 1}"]
            processes.append(_start(worker, env, args.logs))
        base_url = f"http://127.0.0.1:{port}"
        await _wait_ready(base_url, processes[0])
        load = f"{os.getloadavg()[0]:.2f}"
        log.print(f"server on {base_url}, {args.workers} workers, mail on :{smtp_port}")
        tally = Tally()
        started = time.time()
        final_at, drained_at = await _drive(args, base_url, token, plan, mailbox, tally, store_url)
        checks = _check_store(store_url, datamap, plan)
        times = {"all_final_after_s": round(final_at - started, 1),
                 "tasks_drained_after_s": round(drained_at - started, 1)}  # fmt: skip
        return _summary(args, plan, tally, checks, mailbox, times, load)


def _purge(url: str) -> None:
    with BrokerConnection(url, connect_timeout=3) as conn:  # type: ignore[no-untyped-call]
        conn.default_channel.queue_purge("lawful")


async def _drive(
    args: argparse.Namespace,
    base_url: str,
    token: str,
    plan: list[Planned],
    mailbox: Mailbox,
    tally: Tally,
    store_url: str,
) -> tuple[float, float]:
    """Send the bursts, follow every request, wait until all are final (or time is up)."""
    deadline = time.monotonic() + args.seconds
    limits = httpx.Limits(
        max_connections=args.connections, max_keepalive_connections=args.connections
    )
    staff = {"Authorization": f"Bearer {token}"}
    # 60 s for the server to answer; no limit on waiting for one of our own connections
    # (a queue in the load generator is not an error of the server; its wait still counts
    # in the latency measured).
    timeout = httpx.Timeout(60, pool=None)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=timeout) as client:
        flows: list[asyncio.Task[None]] = []
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=log) as progress:  # fmt: skip
            sent = progress.add_task("submitted", total=len(plan))
            final = progress.add_task("final status", total=len(plan))
            expected = lambda: len(plan) - sum(e["call"] == "submit" for e in tally.errors)  # noqa: E731
            watcher = asyncio.create_task(_watch(store_url, progress, final, expected, deadline))
            for start in range(0, len(plan), args.burst):
                burst = plan[start : start + args.burst]
                began = time.perf_counter()
                accepted = [asyncio.Event() for _ in burst]
                for item, done in zip(burst, accepted, strict=True):
                    flows.append(
                        asyncio.create_task(
                            _follow(client, item, mailbox, staff, tally, done, deadline)
                        )
                    )
                await asyncio.gather(*(e.wait() for e in accepted))
                tally.bursts.append(time.perf_counter() - began)
                progress.update(sent, completed=start + len(burst))
                if start + args.burst < len(plan) and time.monotonic() < deadline:
                    await asyncio.sleep(args.pause)
            await asyncio.gather(*flows)
            return await watcher


async def _follow(
    client: httpx.AsyncClient,
    item: Planned,
    mailbox: Mailbox,
    staff: dict[str, str],
    tally: Tally,
    accepted: asyncio.Event,
    deadline: float,
) -> None:
    """One person's request: make it, enter the mailed code, have staff approve it."""
    try:
        item.started = time.time()
        began = time.perf_counter()
        made = await _call(client, tally, "submit", "/api/v1/requests", json=_intake(item))
        item.submit_ms = (time.perf_counter() - began) * 1000
        accepted.set()
        if made is None:
            return
        item.reference = made["reference"]
        if made["verification"] == "email_code":
            left = max(1.0, deadline - time.monotonic())
            code = await asyncio.wait_for(mailbox.code_for(item.reference), timeout=left)
            path = f"/api/v1/requests/{item.reference}/verify"
            body = {"token": made["status_token"], "code": code}
            if await _call(client, tally, "verify", path, json=body) is None:
                return
        if item.kind in STAFF_APPROVED:
            path = f"/api/v1/staff/requests/{item.reference}/approve"
            await _call(client, tally, "approve", path, headers=staff)
    except TimeoutError:
        tally.errors.append({"call": "code mail", "reference": item.reference, "error": "timeout"})
    finally:
        accepted.set()


async def _call(client: httpx.AsyncClient, tally: Tally, name: str, path: str,
                **options: Any) -> dict[str, Any] | None:  # fmt: skip
    """POST; any answer but 2xx, or none at all, is an error of the run."""
    tally.calls[name] += 1
    try:
        answer = await client.post(path, **options)
    except httpx.HTTPError as error:
        tally.errors.append({"call": name, "path": path, "error": type(error).__name__})
        return None
    if not answer.is_success:
        tally.errors.append({"call": name, "path": path, "status": answer.status_code,
                             "body": answer.text[:300]})  # fmt: skip
        return None
    body: dict[str, Any] = answer.json()
    return body


async def _watch(
    store_url: str, progress: Progress, bar: Any, total: Callable[[], int], deadline: float
) -> tuple[float, float]:
    """Count final requests and open tasks in the store every half second: when every
    request accepted was final, and when the last task (the completion mails) was done
    too. `total`: the requests sent, less those whose submission failed."""
    dsn = store_url.replace("postgresql+psycopg://", "postgresql://")
    all_final = 0.0
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = await (
                await conn.execute(
                    "SELECT (SELECT count(*) FROM rights_requests WHERE status = ANY(%s)),"
                    " (SELECT count(*) FROM tasks WHERE status = ANY(%s))",
                    (list(FINAL), ["queued", "running", "retrying"]),
                )
            ).fetchone()
            done, open_tasks = (int(row[0]), int(row[1])) if row else (0, 0)
            progress.update(bar, completed=done)
            if done >= total() and not all_final:
                all_final = time.time()
            if all_final and not open_tasks:
                return all_final, time.time()
            await asyncio.sleep(0.5)
    log.print(f"[red]time is up[/] after {progress.tasks[bar].elapsed or 0:.0f} s")
    return all_final or time.time(), time.time()


# --- the checks -----------------------------------------------------------------------------------


def _check_store(store_url: str, datamap: DataMap, plan: list[Planned]) -> dict[str, Any]:
    """What the store says once the run is over: requests, deadlines, final events, tasks."""
    engine = create_store_engine(store_url)
    org = datamap.organization
    bad_deadlines: list[str] = []
    with session_factory(engine)() as db:
        requests = db.scalars(select(RightsRequest)).all()
        for r in requests:
            receipt = at_receipt(organization=org, request_type=RequestType(r.request_type),
                                 country=r.residence_country, region=r.residence_region,
                                 received_at=r.received_at, tz=ZoneInfo(r.timezone))  # fmt: skip
            expected = receipt.deadlines.respond_by.day if receipt.deadlines else None
            days = (r.respond_by - r.received_at.date()).days if r.respond_by else -1
            if r.respond_by is None or r.respond_by != expected or not 10 <= days <= 62:
                bad_deadlines.append(r.reference)
        statuses = Counter(r.request_type.value + ":" + r.status.value for r in requests)
        references = {r.reference for r in requests}
    dsn = store_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn:
        final_at = dict(conn.execute(
            "SELECT r.reference, max(e.at) FROM request_events e JOIN rights_requests r"
            " ON r.id = e.request_id WHERE e.to_status = ANY(%s) GROUP BY r.reference",
            (list(FINAL),)).fetchall())  # fmt: skip
        tasks = conn.execute(
            "SELECT kind, status, attempts, created_at, started_at, finished_at FROM tasks"
        ).fetchall()
    engine.dispose()
    accepted = [p for p in plan if p.reference]
    return {
        "requests_in_store": len(references),
        "accepted_missing_from_store": sum(1 for p in accepted if p.reference not in references),
        "statuses": dict(sorted(statuses.items())),
        "not_final": sum(1 for r in requests if r.status.value not in FINAL),
        "deadline_problems": bad_deadlines[:20],
        "deadline_problem_count": len(bad_deadlines),
        "end_to_end_s": {
            p.reference: final_at[p.reference].timestamp() - p.started
            for p in accepted
            if p.reference in final_at
        },
        "tasks": tasks,
    }


def _stats(values: list[float], digits: int = 1) -> dict[str, float]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {"n": len(ordered), "p50": round(statistics.median(ordered), digits),
            "p99": round(p99, digits), "max": round(ordered[-1], digits)}  # fmt: skip


def _task_summary(tasks: list[tuple[Any, ...]]) -> dict[str, Any]:
    done = [t for t in tasks if t[1] == "done" and t[4] and t[5]]
    by_kind: dict[str, Any] = {}
    for kind in sorted({t[0] for t in tasks}):
        mine = [t for t in done if t[0] == kind]
        by_kind[kind] = {
            "done": len(mine),
            "run_ms": _stats([(t[5] - t[4]).total_seconds() * 1000 for t in mine]),
            "wait_s": _stats([(t[4] - t[3]).total_seconds() for t in mine]),
        }
    span = (max(t[5] for t in done) - min(t[4] for t in done)).total_seconds() if done else 0.0
    return {
        "total": len(tasks),
        "statuses": dict(Counter(str(t[1]) for t in tasks)),
        "retried": sum(1 for t in tasks if t[2] > 1),
        "done_per_s": round(len(done) / span, 1) if span else None,
        "span_s": round(span, 1),
        "by_kind": by_kind,
    }


def _summary(args: argparse.Namespace, plan: list[Planned], tally: Tally,
             checks: dict[str, Any], mailbox: Mailbox, times: dict[str, float],
             load_at_start: str) -> dict[str, Any]:  # fmt: skip
    accepted = [p for p in plan if p.reference]
    tasks = _task_summary(checks.pop("tasks"))
    e2e = checks.pop("end_to_end_s")
    ok = (
        not tally.errors
        and len(accepted) == len(plan)
        and checks["requests_in_store"] == len(plan)
        and checks["not_final"] == 0
        and not any(tasks["statuses"].get(s, 0) for s in ("queued", "running", "retrying"))
        and checks["deadline_problem_count"] == 0
        and tasks["statuses"].get("failed", 0) == 0
    )
    return {
        "ok": ok,
        "date": datetime.now(UTC).date().isoformat(),
        "python": platform.python_version(),
        "broker": args.broker,
        "subjects": args.subjects,
        "requests": len(plan),
        "mix": dict(Counter(p.kind for p in plan)),
        "bursts": f"{len(tally.bursts)} × {args.burst}, {args.pause:g} s apart",
        "workers": f"{args.workers} × {args.concurrency} threads",
        "accepted": len(accepted),
        "http_calls": dict(tally.calls),
        "http_errors": len(tally.errors),
        "error_samples": tally.errors[:10],
        "submit_ms": _stats([p.submit_ms for p in plan]),
        "submit_per_s": round(len(accepted) / sum(tally.bursts), 1) if tally.bursts else None,
        "burst_s": _stats(tally.bursts),
        "end_to_end_s": _stats(list(e2e.values())),
        "end_to_end_by_type_s": {
            kind: _stats(
                [e2e[p.reference] for p in accepted if p.kind == kind and p.reference in e2e]
            )
            for kind in sorted({p.kind for p in plan})
        },
        "mail_received": mailbox.received,
        "code_mails_unmatched": mailbox.unmatched[:3],
        "codes_waited_for_in_vain": sorted(r for r, f in mailbox.codes.items() if not f.done()),
        **times,
        "tasks": tasks,
        **checks,
        "load_at_start": load_at_start,
        "load_at_end": open("/proc/loadavg").read().strip(),
    }


def _table(r: dict[str, Any]) -> Table:
    table = Table(
        title=f"Load: {r['requests']:,} requests, {r['subjects']:,} subjects, {r['broker']}, "
        f"workers {r['workers']} ({r['python']})"
    )
    table.add_column("measure")
    table.add_column("value", justify="right")
    s, e, t = r["submit_ms"], r["end_to_end_s"], r["tasks"]
    rows = [
        ("submissions accepted / HTTP errors", f"{r['accepted']:,} / {r['http_errors']}"),
        ("submit p50 / p99 ms", f"{s.get('p50')} / {s.get('p99')}"),
        ("submissions/s (during bursts)", f"{r['submit_per_s']}"),
        ("end to end p50 / p99 s", f"{e.get('p50')} / {e.get('p99')}"),
        ("tasks done/s (workers)", f"{t['done_per_s']} ({t['total']:,} tasks)"),
        ("tasks failed / retried", f"{t['statuses'].get('failed', 0)} / {t['retried']}"),
        ("in store / not final", f"{r['requests_in_store']:,} / {r['not_final']}"),
        ("deadline problems", f"{r['deadline_problem_count']}"),
        (
            "all final / tasks drained after s",
            f"{r['all_final_after_s']} / {r['tasks_drained_after_s']}",
        ),
        ("load average (end)", r["load_at_end"]),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table


if __name__ == "__main__":
    main()
