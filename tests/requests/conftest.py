"""The rights-request tests' world: the example company (`lawful demo generate`, 1000 people,
seed 2026) as the datastores, a platform store built by the migrations on SQLite or
PostgreSQL, a real SMTP server (aiosmtpd) when a test reads its mail, and a fixed clock."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from lawful.config import Settings
from lawful.datamap.loader import load_datamap
from lawful.datamap.models import Address, DataMap, Jurisdiction
from lawful.engine.datastores import registry_factory
from lawful.requests import repository
from lawful.requests.context import RequestsContext
from lawful.requests.intake import Intake
from lawful.requests.mail import Mail, Mailer, MemoryMailer
from lawful.requests.models import RightsRequest
from lawful.requests.service import Submitted, submit_request
from lawful.requests.tasks import RequestsRuntime
from lawful.store.crypto import Keyring
from lawful.store.db import create_store_engine, session_factory
from lawful.store.migrate import upgrade_database
from lawful.worker.jobs import build_runtime

from ..support.company import EXAMPLE_MAP
from ..support.keys import MASTER_KEY
from ..support.mail import code_in

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday


# --- the example company ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def example_map() -> DataMap:
    return load_datamap(EXAMPLE_MAP).datamap


@pytest.fixture
def data_dir(company: Path, tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(company, target)
    return target


def query(data_dir: Path, system: str, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    engine = sa.create_engine(f"sqlite:///{data_dir / f'{system}.sqlite'}")
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(sa.text(sql), params)]
    finally:
        engine.dispose()


# --- the platform store (SQLite: `sqlite_url`, from tests/support) ----------------------------


@pytest.fixture(scope="session")
def requests_pg_url(pg_database_factory: Callable[[str], str]) -> str:
    """This folder's own PostgreSQL platform store, built by the migrations."""
    url = pg_database_factory("lawful_requests")
    upgrade_database(url=url)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest) -> str:
    """The platform store on each backend in turn (PostgreSQL: one database for the folder,
    so tests look only at their own requests)."""
    name = "sqlite_url" if request.param == "sqlite" else "requests_pg_url"
    url: str = request.getfixturevalue(name)
    return url


# --- the world a test runs in ----------------------------------------------------------------


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    runtime: RequestsRuntime
    data_dir: Path
    clock: Clock
    mailer: Mailer
    engines: list[sa.Engine] = field(default_factory=list)

    @property
    def ctx(self) -> RequestsContext:
        return self.runtime.ctx

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self.runtime.sessions

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work, committed at the end (as the web layer does)."""
        with self.sessions() as session:
            yield session
            session.commit()

    def submit(self, **fields: Any) -> Submitted:
        now = fields.pop("now", self.clock.now)
        with self.session() as session:
            return submit_request(session, ctx=self.ctx, intake=Intake(**fields), now=now)

    def sent(self, kind: str) -> list[Mail]:
        assert isinstance(self.mailer, MemoryMailer)
        return [m for m in self.mailer.sent if m.kind == kind]

    def code(self, kind: str = "verification_code") -> str:
        """The code of the last mail of `kind` (verification_code or download_code)."""
        return code_in(self.sent(kind)[-1].text)

    def query(self, system: str, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        return query(self.data_dir, system, sql, **params)

    def candidate(self, offset: int = 0) -> tuple[int, str]:
        """A job applicant of the example company: (candidate id, email)."""
        rows = self.query(
            "ats",
            "SELECT candidate_id, email FROM candidates "
            "WHERE email IS NOT NULL ORDER BY candidate_id LIMIT 1 OFFSET :o",
            o=offset,
        )
        return int(rows[0][0]), str(rows[0][1])

    def request(self, reference: str) -> RightsRequest:
        with self.sessions() as session:
            found = repository.by_reference(session, reference=reference)
            assert found is not None
            list(found.events)  # loaded now: read after the session closes
            session.expunge(found)
            return found


def make_world(
    *,
    url: str,
    data_dir: Path,
    datamap: DataMap,
    mailer: Mailer | None = None,
    settings: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> World:
    engine = create_store_engine(url)
    clock = Clock(NOW)
    keyring = Keyring.from_master(MASTER_KEY)
    env = dict(environ or {})
    runtime = build_runtime(
        settings=Settings(**{"public_url": "https://privacy.test", **(settings or {})}),
        datamap=datamap,
        keyring=keyring,
        sessions=session_factory(engine),
        connectors=registry_factory(datamap, base_dir=data_dir, environ=env),
        environ=env,
        mailer=mailer or MemoryMailer(),
        clock=clock,
    )
    return World(runtime, data_dir, clock, runtime.mailer, [engine])


WorldFactory = Callable[..., World]


@pytest.fixture
def world_factory(example_map: DataMap, data_dir: Path) -> Iterator[WorldFactory]:
    made: list[World] = []

    def make(url: str, **options: Any) -> World:
        options.setdefault("datamap", example_map)
        world = make_world(url=url, data_dir=data_dir, **options)
        made.append(world)
        return world

    yield make
    for world in made:
        for engine in world.engines:
            engine.dispose()


@pytest.fixture
def world(world_factory: WorldFactory, store_url: str) -> World:
    """The example company with a memory mailer, on each platform-store backend."""
    return world_factory(store_url)


@pytest.fixture
def sqlite_world(world_factory: WorldFactory, sqlite_url: str) -> World:
    return world_factory(sqlite_url)


@pytest.fixture
def californian_world(world_factory: WorldFactory, sqlite_url: str, example_map: DataMap) -> World:
    """The example company moved to San Francisco, subject to the CCPA alone."""
    org = example_map.organization.model_copy(
        update={
            "address": Address(
                street="1 Market St", city="San Francisco", region="CA", country="US"
            ),
            "establishments": [],
            "jurisdictions": [Jurisdiction.ccpa],
            "lead_authority": None,
        }
    )
    return world_factory(
        sqlite_url,
        datamap=example_map.model_copy(update={"organization": org}),
        settings={"timezone": "America/Los_Angeles"},
    )
