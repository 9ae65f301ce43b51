"""Rights requests through `lawful serve` on a shop-shaped PostgreSQL database (issue 19).

    .venv/bin/python bench/shop.py                               # 100,000 customers
    .venv/bin/python bench/shop.py --scale 0.05 --rounds 1       # a quick look
    .venv/bin/python bench/shop.py --compare /tmp/lawful-main/src   # before/after, alternated

The shop is generated in SQL into the database `lawful_bench_shop` (kept between runs, made
again when `--scale` or `--products` change): customers, their logins, orders and order
items, and a few products every item points at (popular parent rows, as in Fides's sample
schema scaled up: 100,000 customers, 1,000,000 logins, 300,000 orders, 600,000 items at
`--scale 1`), with an index on every identity and foreign-key column. A data map for it is
written beside a fresh platform store (PostgreSQL, one database per round, dropped after).

Each round starts `lawful serve` with jobs in-process (no broker) and an SMTP server in this
process, then, through HTTP only: a person makes the request (`POST /api/v1/requests`), staff
confirm who they are with an API token (`POST …/confirm-identity`); access and erasure are
approved by policy (LAWFUL_AUTO_APPROVE), so the request runs at once. The time measured is
from the submit to the moment the client sees the request completed: by the server-sent
events of `GET /api/v1/staff/requests/{reference}/events` when the server offers them,
otherwise by asking `GET /api/v1/staff/requests/{reference}` every `--poll-ms`. Then 50
access requests at once (`--batch`): requests per second from the first submit to the last
completion. The server's memory (resident set) idle and at its peak, and the load average,
are recorded with every round.

`--compare SRC` runs the same rounds with the code of another source tree (its `src`
folder first on PYTHONPATH), alternated with this one, so both see the same machine.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import platform
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope
from rich.console import Console
from rich.table import Table

PG = "postgresql://postgres@127.0.0.1:5432"
SHOP_DB = "lawful_bench_shop"
LAWFUL = Path(sys.executable).with_name("lawful")
FINAL = frozenset({"completed", "partially_completed", "forwarded", "denied", "cancelled"})
EVENTS = "/api/v1/staff/requests/{reference}/events"
FULL = {"customers": 100_000, "logins": 1_000_000, "orders": 300_000, "items": 600_000}
log = Console(stderr=True)

MAP = """\
version: 1
organization:
  name: Bench Shop SAS
  address: {street: 2 rue de l'Exemple, postal_code: "69001", city: Lyon, country: FR}
  contact: {email: privacy@shop.example}
  dpo: {name: DPO, email: dpo@shop.example}
  jurisdictions: [gdpr, fr]
  lead_authority: {name: CNIL, country: FR, url: https://www.cnil.fr}
subjects:
  customer: {name: Customers, type: customer, minimum_age: 16}
purposes:
  sales:
    name: Selling and delivering orders
    legal_basis: contract
    subjects: [customer]
  security:
    name: Keeping accounts safe
    legal_basis: legitimate_interests
    legitimate_interest: Detecting sign-ins by someone else
    subjects: [customer]
systems:
  shop:
    name: Shop database
    owner: IT
    location: FR
    connection: {type: postgresql, url_env: SHOP_URL}
datasets:
  customers:
    system: shop
    subject: customer
    identities: {email: email}
    purposes: [sales]
    fields:
      id: {category: identifier.customer, provided_by_subject: false}
      email: {category: contact.email, erase: hash}
      name: {category: name, erase: {strategy: replace, value: "(erased)"}}
      created_at: {category: record.timestamp, erase: keep, provided_by_subject: false}
  logins:
    system: shop
    subject: customer
    purposes: [security]
    erase: delete
    fields:
      id: {category: identifier.internal, provided_by_subject: false}
      customer_id: {category: identifier.internal, references: customers.id}
      logged_at: {category: record.timestamp, provided_by_subject: false}
  orders:
    system: shop
    subject: customer
    purposes: [sales]
    fields:
      id: {category: identifier.internal, provided_by_subject: false}
      customer_id: {category: identifier.internal, references: customers.id}
      placed_at: {category: record.timestamp, erase: keep, provided_by_subject: false}
      shipping_address: {category: contact.postal_address, erase: nullify}
  order_items:
    system: shop
    subject: customer
    purposes: [sales]
    erase: delete
    fields:
      id: {category: identifier.internal, provided_by_subject: false}
      order_id: {category: identifier.internal, references: orders.id}
      product_id:
        category: identifier.internal
        provided_by_subject: false
        references: {to: products.id, direction: to}
      quantity: {category: commercial.purchase}
  products:
    system: shop
    subject: customer
    description: The catalogue; a product is shared by everyone who bought it
    purposes: [sales]
    fields:
      id: {category: identifier.internal, provided_by_subject: false}
      name: {category: commercial.purchase}
      price: {category: commercial.purchase}
# Retention is not what this bench measures.
checks:
  ignore: [L007, L009]
"""

SCHEMA = """
CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL, name text,
                        created_at timestamptz NOT NULL);
CREATE TABLE logins (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers,
                     logged_at timestamptz NOT NULL);
CREATE TABLE products (id bigint PRIMARY KEY, name text NOT NULL, price numeric(10, 2) NOT NULL);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers,
                     placed_at timestamptz NOT NULL, shipping_address text);
CREATE TABLE order_items (id bigint PRIMARY KEY, order_id bigint NOT NULL REFERENCES orders,
                          product_id bigint NOT NULL REFERENCES products, quantity int NOT NULL);
"""
# Spread by multiplying with primes: every customer has logins and orders, deterministically.
FILL = """
INSERT INTO customers SELECT i, 'c' || i || '@shop.example', 'Customer ' || i,
       now() - (i % 1000) * interval '1 day' FROM generate_series(1, {customers}::bigint) i;
INSERT INTO products SELECT i, 'Product ' || i, 9.99 + i FROM generate_series(1, {products}::bigint) i;
INSERT INTO logins SELECT i, 1 + (i * 7919) % {customers}, now() - (i % 5000) * interval '1 hour'
       FROM generate_series(1, {logins}::bigint) i;
INSERT INTO orders SELECT i, 1 + (i * 104729) % {customers}, now() - (i % 900) * interval '1 day',
       i || ' rue du Commerce, Lyon' FROM generate_series(1, {orders}::bigint) i;
INSERT INTO order_items SELECT i, 1 + (i - 1) % {orders}, 1 + (i * 31) % {products}, 1 + i % 3
       FROM generate_series(1, {items}::bigint) i;
CREATE UNIQUE INDEX customers_email ON customers (email);
CREATE INDEX customers_email_norm ON customers (lower(trim(email)));
CREATE INDEX logins_customer ON logins (customer_id);
CREATE INDEX orders_customer ON orders (customer_id);
CREATE INDEX order_items_order ON order_items (order_id);
CREATE INDEX order_items_product ON order_items (product_id);
ANALYZE;
"""


def main() -> None:
    args = _arguments()
    sizes = {k: max(1, int(v * args.scale)) for k, v in FULL.items()} | {"products": args.products}
    _build_shop(sizes)
    variants = [("this tree", None)] + ([("compared", args.compare)] if args.compare else [])
    rounds: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="lawful-shop-") as scratch:
        map_path = Path(scratch) / "lawful.yaml"
        map_path.write_text(MAP)
        for number in range(1, args.rounds + 1):
            order = variants if number % 2 else variants[::-1]
            for label, src in order:
                log.print(f"round {number}: {label} …")
                figures = asyncio.run(_round(args, map_path, src))
                rounds.append({"round": number, "code": label, **figures})
    result = {
        "date": datetime.now(UTC).date().isoformat(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "shop": sizes,
        "rounds": rounds,
    }
    Console().print(_table(rounds))
    print(json.dumps(result, indent=2))
    if any(r["errors"] for r in rounds):
        raise SystemExit(1)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1: 100,000 customers …")
    parser.add_argument("--products", type=int, default=6, help="Products every item points at.")
    parser.add_argument("--accesses", type=int, default=30)
    parser.add_argument("--erasures", type=int, default=20)
    parser.add_argument("--batch", type=int, default=50, help="Access requests made at once.")
    parser.add_argument("--warmup", type=int, default=3, help="Accesses not counted.")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--poll-ms", type=float, default=10, help="Without server-sent events.")
    parser.add_argument("--wait", choices=("auto", "poll"), default="auto")
    parser.add_argument("--limit", type=float, default=120, help="Seconds a request may take.")
    parser.add_argument("--compare", type=Path, help="Another tree's `src` to run alternated.")
    parser.add_argument("--seed", type=int, default=2026)
    return parser.parse_args()


# --- the shop -------------------------------------------------------------------------------------


def _build_shop(sizes: dict[str, int]) -> None:
    marker = json.dumps(sizes, sort_keys=True)
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (SHOP_DB,)).fetchone()
    if exists:
        with psycopg.connect(f"{PG}/{SHOP_DB}") as conn:
            found = conn.execute("SELECT obj_description('customers'::regclass)").fetchone()
        if found and found[0] == marker:
            log.print(f"reusing the shop in {SHOP_DB}: {marker}")
            return
    log.print(f"building the shop in {SHOP_DB}: {marker} …")
    began = time.perf_counter()
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{SHOP_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{SHOP_DB}"')
    with psycopg.connect(f"{PG}/{SHOP_DB}", autocommit=True) as conn:
        conn.execute(SCHEMA)
        for statement in FILL.format(**sizes).split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute(f"COMMENT ON TABLE customers IS '{marker}'")
    log.print(f"built in {time.perf_counter() - began:.0f} s")


def _people(count: int, rng: random.Random) -> list[str]:
    """Customers not erased yet (an erased one's email is a hash), each drawn once."""
    with psycopg.connect(f"{PG}/{SHOP_DB}") as conn:
        top = conn.execute("SELECT max(id) FROM customers").fetchone()
        assert top is not None
        ids = rng.sample(range(1, int(top[0]) + 1), min(int(top[0]), count * 3))
        rows = conn.execute(
            "SELECT email FROM customers WHERE id = ANY(%s) AND email LIKE 'c%%@shop.example'",
            (ids,),
        ).fetchall()
    people = [r[0] for r in rows]
    rng.shuffle(people)
    if len(people) < count:
        raise SystemExit("not enough customers left: rebuild the shop (drop lawful_bench_shop)")
    return people[:count]


# --- one round: a server, its requests ------------------------------------------------------------


@dataclass
class Server:
    url: str
    token: str
    process: subprocess.Popen[bytes]
    events: bool
    mails: list[str] = field(default_factory=list)


class Mailbox:
    def __init__(self) -> None:
        self.subjects: list[str] = []

    async def handle_DATA(self, server: SMTP, session: Any, envelope: Envelope) -> str:  # noqa: N802
        content = (envelope.content or b"").decode("utf-8", "replace")
        subject = next((ln for ln in content.splitlines() if ln.startswith("Subject:")), "")
        self.subjects.append(subject)
        return "250 OK"


async def _round(args: argparse.Namespace, map_path: Path, src: Path | None) -> dict[str, Any]:
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    smtp.start()
    with ExitStack() as stack:
        stack.callback(smtp.stop)
        store_url = stack.enter_context(_store(src))
        commits = [_commits(store_url)]
        stack.callback(lambda: commits.append(_commits(store_url, settle=1.0)))  # server gone
        server = stack.enter_context(_serve(map_path, store_url, smtp.port, src))
        await _wait_ready(server)
        rng = random.Random(args.seed + int(time.time()))
        people = _people(args.warmup + args.accesses + args.erasures + args.batch, rng)
        wait = "events" if server.events and args.wait == "auto" else f"poll {args.poll_ms:g} ms"
        errors: list[str] = []
        async with httpx.AsyncClient(base_url=server.url, timeout=120) as client:
            flow = Flow(client, server, args.poll_ms / 1000, errors, args.limit)
            idle_mb = _rss_mb(server.process.pid)
            for person in people[: args.warmup]:
                await flow.request("access", person)
            people = people[args.warmup :]
            load_before = os.getloadavg()[0]
            cpu = Cpu(server.process.pid, store_url)
            access = [await flow.request("access", p) for p in people[: args.accesses]]
            access_cpu = cpu.per_request(len(access))
            people = people[args.accesses :]
            erasure = [await flow.request("erasure", p) for p in people[: args.erasures]]
            erasure_cpu = cpu.per_request(len(erasure))
            batch = people[args.erasures : args.erasures + args.batch]
            began = time.perf_counter()
            await asyncio.gather(*(flow.request("access", p) for p in batch))
            batch_s = time.perf_counter() - began
            batch_cpu = cpu.per_request(len(batch))
            load_after = os.getloadavg()[0]
        peak_mb = _peak_mb(server.process.pid)
        requests = args.warmup + len(access) + len(erasure) + len(batch)
    return {
        "wait": wait,
        "load": f"{load_before:.2f}–{load_after:.2f}",
        "access_ms": _stats(access),
        "erasure_ms": _stats(erasure),
        "batch": len(batch),
        "batch_s": round(batch_s, 2),
        "batch_per_s": round(len(batch) / batch_s, 1),
        # CPU milliseconds a request, server (all threads) + its PostgreSQL backends: less
        # bent by other work on the machine than the wall-clock times.
        "cpu_ms": {"access": access_cpu, "erasure": erasure_cpu, "batch": batch_cpu},
        # Transactions committed in the platform store a request (mail, tasks, poller and
        # all), counted by PostgreSQL once the server stopped: the same on any machine.
        "commits_per_request": round((commits[1] - commits[0]) / max(requests, 1), 1),
        "rss_idle_mb": idle_mb,
        "rss_peak_mb": peak_mb,
        "mails": len(mailbox.subjects),
        "errors": errors[:5],
    }


@dataclass
class Flow:
    client: httpx.AsyncClient
    server: Server
    poll_s: float
    errors: list[str]
    limit_s: float

    async def request(self, kind: str, email: str) -> float:
        """Submit, staff confirm, wait until completed: milliseconds from submit to seen
        (the time limit, recorded as an error, when it never completes)."""
        began = time.perf_counter()
        try:
            return await asyncio.wait_for(self._request(kind, email), timeout=self.limit_s)
        except TimeoutError:
            self.errors.append(f"{kind}: not completed within {self.limit_s:g} s")
            return (time.perf_counter() - began) * 1000

    async def _request(self, kind: str, email: str) -> float:
        staff = {"Authorization": f"Bearer {self.server.token}"}
        began = time.perf_counter()
        made = await self.client.post(
            "/api/v1/requests", json={"type": kind, "email": email, "country": "FR"}
        )
        if made.status_code != 201:
            self.errors.append(f"submit {made.status_code}: {made.text[:200]}")
            return 0.0
        reference = made.json()["reference"]
        confirm = f"/api/v1/staff/requests/{reference}/confirm-identity"
        if self.server.events:
            url = EVENTS.format(reference=reference)
            async with self.client.stream("GET", url, headers=staff) as stream:
                await self._confirm(confirm, staff)
                status = await _final_event(stream)
        else:
            await self._confirm(confirm, staff)
            status = await self._poll(reference, staff)
        elapsed = (time.perf_counter() - began) * 1000
        # An erasure keeps the products other customers bought too (shared rows): done in part.
        if status not in ("completed", "partially_completed"):
            self.errors.append(f"{kind} {reference} ended {status}")
        return elapsed

    async def _confirm(self, path: str, staff: dict[str, str]) -> None:
        done = await self.client.post(path, json={"how": "called back"}, headers=staff)
        if done.status_code != 200:
            self.errors.append(f"confirm {done.status_code}: {done.text[:200]}")

    async def _poll(self, reference: str, staff: dict[str, str]) -> str:
        while True:
            seen = await self.client.get(f"/api/v1/staff/requests/{reference}", headers=staff)
            status = str(seen.json().get("status"))
            if seen.status_code != 200 or status in FINAL:
                return status
            await asyncio.sleep(self.poll_s)


async def _final_event(stream: httpx.Response) -> str:
    async for line in stream.aiter_lines():
        if line.startswith("data:"):
            status = str(json.loads(line[5:]).get("status"))
            if status in FINAL:
                return status
    return "stream ended"


@contextmanager
def _store(src: Path | None) -> Iterator[str]:
    name = f"lawful_bench_shop_store_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    try:
        env = {**os.environ, "LAWFUL_DATABASE_URL": url, **_pythonpath(src)}
        subprocess.run([str(LAWFUL), "db", "upgrade"], env=env, check=True, capture_output=True)
        yield url
    finally:
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _commits(store_url: str, *, settle: float = 0.0) -> int:
    """Transactions committed in the store so far (`pg_stat_database`; the statistics of a
    backend are written when it exits, hence `settle` once the server stopped)."""
    time.sleep(settle)
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        row = conn.execute(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = %s",
            (store_url.rsplit("/", 1)[1],),
        ).fetchone()
    return int(row[0]) if row else 0


def _pythonpath(src: Path | None) -> dict[str, str]:
    return {"PYTHONPATH": str(src.resolve())} if src else {}


def _staff_token(store_url: str) -> str:
    """An API token for staff, written straight into the store (as `lawful` would)."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from lawful.auth.models import ApiToken
    from lawful.auth.service import token_digest

    token = "lawful_bench_" + secrets.token_urlsafe(24)
    engine = create_engine(store_url)
    with Session(engine) as db:
        db.add(ApiToken(name="bench staff", token_hash=token_digest(token), prefix=token[:16],
                        scopes=["requests:read", "requests:write"],
                        expires_at=datetime.now(UTC) + timedelta(days=1)))  # fmt: skip
        db.commit()
    engine.dispose()
    return token


@contextmanager
def _serve(map_path: Path, store_url: str, smtp_port: int, src: Path | None) -> Iterator[Server]:
    port = _free_port()
    env = {
        **os.environ,
        **_pythonpath(src),
        "SHOP_URL": f"{PG}/{SHOP_DB}",
        "LAWFUL_DATABASE_URL": store_url,
        "LAWFUL_ENCRYPTION_KEY": base64.b64encode(os.urandom(32)).decode(),
        "LAWFUL_MAP_PATH": str(map_path),
        "LAWFUL_DATA_DIR": str(map_path.parent),
        "LAWFUL_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "LAWFUL_SMTP_HOST": "127.0.0.1",
        "LAWFUL_SMTP_PORT": str(smtp_port),
        "LAWFUL_SMTP_STARTTLS": "false",
        "LAWFUL_AUTO_APPROVE": '["access", "erasure"]',
        "LAWFUL_RATE_LIMIT_PER_MINUTE": "100000",
        "LAWFUL_RATE_LIMIT_BURST": "100000",
    }
    env.pop("LAWFUL_BROKER_URL", None)
    logs = Path(os.environ.get("SHOP_LOGS", map_path.parent)) / f"serve-{port}.log"
    with logs.open("wb") as out:
        process = subprocess.Popen(
            [str(LAWFUL), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        yield Server(f"http://127.0.0.1:{port}", _staff_token(store_url), process, False)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        if process.returncode not in (0, -signal.SIGTERM):
            log.print(logs.read_text()[-3000:])


async def _wait_ready(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        for _ in range(300):
            if server.process.poll() is not None:
                raise SystemExit("the server stopped while starting")
            try:
                if (await client.get("/healthz", timeout=1)).status_code == 200:
                    paths = (await client.get("/openapi.json")).json()["paths"]
                    server.events = EVENTS in paths
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit("the server did not answer /healthz within 60 s")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _status_kb(pid: int, key: str) -> int:
    """A field of /proc/PID/status summed over the server and its children (uvicorn)."""
    pids = [pid, *_children(pid)]
    total = 0
    for one in pids:
        for line in Path(f"/proc/{one}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                total += int(line.split()[1])
    return total


def _children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in found.read_text().split()] if found.exists() else []


class Cpu:
    """CPU time used by the server process tree and the store's PostgreSQL backends."""

    def __init__(self, pid: int, store_url: str) -> None:
        self.pid, self.store = pid, store_url.rsplit("/", 1)[1]
        self.seen: dict[int, float] = {}
        self._take()

    def _take(self) -> float:
        """CPU seconds used since the last call (a backend new since then counts whole)."""
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            backends = [r[0] for r in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.store,))]  # fmt: skip
        used = 0.0
        for pid in [self.pid, *_children(self.pid), *backends]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            now = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            used += now - self.seen.get(pid, 0.0)
            self.seen[pid] = now
        return used

    def per_request(self, count: int) -> float:
        return round(self._take() * 1000 / max(count, 1), 1)


def _rss_mb(pid: int) -> int:
    return _status_kb(pid, "VmRSS") // 1024


def _peak_mb(pid: int) -> int:
    return _status_kb(pid, "VmHWM") // 1024


def _stats(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {}
    p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
    return {"p50": round(statistics.median(ordered), 1), "p90": round(p90, 1),
            "max": round(ordered[-1], 1)}  # fmt: skip


def _table(rounds: list[dict[str, Any]]) -> Table:
    table = Table(title="Rights requests through lawful serve (submit → completed)")
    for column in ("round", "code", "load", "wait", "access p50 / p90 ms",
                   "erasure p50 / p90 ms", "at once req/s", "CPU ms a request (access, "
                   "erasure, at once) (commits)", "RSS idle / peak MB", "mails"):  # fmt: skip
        table.add_column(column)
    for r in rounds:
        a, e = r["access_ms"], r["erasure_ms"]
        table.add_row(
            str(r["round"]), r["code"], r["load"], r["wait"],
            f"{a.get('p50')} / {a.get('p90')}", f"{e.get('p50')} / {e.get('p90')}",
            f"{r['batch_per_s']} ({r['batch']} in {r['batch_s']} s)",
            " / ".join(str(v) for v in r["cpu_ms"].values()) + f" ({r['commits_per_request']})",
            f"{r['rss_idle_mb']} / {r['rss_peak_mb']}", str(r["mails"]),
        )  # fmt: skip
    return table


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    main()
