"""The web app as a browser or an API client meets it: FastAPI's TestClient in front of
`create_app`, on a real platform store built by the migrations — SQLite, then PostgreSQL —
with the example company's data map. Mail goes to the demo outbox (no SMTP server set)."""

from __future__ import annotations

import base64
import re
import shutil
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from fastapi import FastAPI
from starlette.exceptions import StarletteDeprecationWarning

from lawful.auth import passwords
from lawful.auth.models import Role
from lawful.auth.service import create_token, create_user
from lawful.config import Settings
from lawful.datamap.loader import LoadedMap, load_datamap
from lawful.platform import RunningPlatform as Platform
from lawful.store.metadata import load_metadata
from lawful.store.migrate import upgrade_database
from lawful.store.models import utcnow
from lawful.web.app import create_app
from lawful.worker.inprocess import InProcessQueue

with warnings.catch_warnings():
    # Starlette asks for `httpx2`, not yet a dependency; the client works the same.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient as TestClient

EXAMPLE_MAP = Path(__file__).parents[2] / "examples" / "contact-center" / "lawful.yaml"
KEY = base64.b64encode(bytes(range(32))).decode()
PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


# --- cheap password hashing ---------------------------------------------------------------------

_FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with its production cost (64 MiB) takes a good part of a second per sign-in;
    the tests are about who gets in, not about the hash's cost."""
    monkeypatch.setattr(passwords, "_hasher", lambda: _FAST_HASHER)


# --- the platform store --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def web_pg_url(pg_database_factory: Callable[[str], str]) -> str:
    url = pg_database_factory("lawful_web")
    upgrade_database(url=url)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, platform_store_template: Path, tmp_path: Path) -> str:
    """An empty, current platform store on each backend in turn."""
    if request.param == "sqlite":
        path = tmp_path / "platform.db"
        shutil.copy(platform_store_template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("web_pg_url")
    _empty(url)
    return url


def _empty(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for table in reversed(load_metadata().sorted_tables):
            conn.execute(table.delete())
    engine.dispose()


# --- the app ---------------------------------------------------------------------------------------


@dataclass
class Web:
    """The app under test, its first browser, and helpers that read like what people do."""

    app: FastAPI
    client: TestClient

    @property
    def platform(self) -> Platform:
        platform: Platform = self.app.state.platform
        return platform

    def browser(self) -> TestClient:
        """Another browser (its own cookies) on the same running app."""
        return TestClient(self.app, base_url="http://testserver", follow_redirects=False)

    def staff(self, role: Role, email: str | None = None, password: str = PASSWORD) -> str:
        email = email or f"{role.value}@staff.example"
        with self.platform.sessions() as session:
            create_user(session, keyring=self.platform.keyring, email=email, name=role.value,
                        role=role, password=password, actor="test")  # fmt: skip
            session.commit()
        return email

    def sign_in(
        self, email: str, password: str = PASSWORD, client: TestClient | None = None
    ) -> httpx.Response:
        client = client or self.client
        token = csrf(client.get("/admin/sign-in"))
        data = {"csrf_token": token, "email": email, "password": password}
        answer: httpx.Response = client.post("/admin/sign-in", data=data)
        return answer

    def signed_in(self, role: Role) -> TestClient:
        """A fresh browser signed in as a new staff member with `role`."""
        browser = self.browser()
        response = self.sign_in(self.staff(role), client=browser)
        assert response.status_code == 303, response.text
        return browser

    def api_token(self, *scopes: str, days: int = 30) -> str:
        admin_email = f"token-maker-{len(scopes)}-{'-'.join(scopes)}@staff.example".replace(
            ":", "."
        )
        with self.platform.sessions() as session:
            maker = create_user(session, keyring=self.platform.keyring, email=admin_email,
                                name="Token maker", role=Role.admin, password=PASSWORD,
                                actor="test")  # fmt: skip
            now = utcnow()
            new = create_token(session, name="test", scopes=scopes, created_by=maker,
                               expires_at=now + timedelta(days=days), now=now)  # fmt: skip
            session.commit()
        return new.secret

    def settle(self) -> None:
        """Wait for the background jobs (mail, engine runs) queued so far.

        Tests wait before their next write: on PostgreSQL, two transactions appending to the
        audit trail at once can collide (reported to the store's owner)."""
        jobs = self.platform.jobs
        assert isinstance(jobs, InProcessQueue)
        jobs.join()

    def outbox(self) -> list[str]:
        """The mails written so far (no SMTP server in tests), oldest first."""
        self.settle()
        folder = self.platform.settings.data_dir / "outbox"
        return [p.read_text() for p in sorted(folder.glob("*.eml"))] if folder.is_dir() else []


def csrf(response: httpx.Response) -> str:
    """The CSRF token of the first form on a page."""
    found = _CSRF.search(response.text)
    assert found, f"no form with a CSRF token on {response.url}"
    return found.group(1)


@pytest.fixture
def make_settings(store_url: str, tmp_path: Path) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            "database_url": store_url,
            "encryption_key": KEY,
            "map_path": EXAMPLE_MAP,
            "rate_limit_per_minute": 10_000,
            "rate_limit_burst": 10_000,
            "smtp_host": None,
        }
        return Settings(**(values | overrides))

    return make


@pytest.fixture(scope="session")
def example_map() -> LoadedMap:
    """Read once: reading the example map is most of an app's start-up time."""
    return load_datamap(EXAMPLE_MAP)


@pytest.fixture
def make_web(
    make_settings: Callable[..., Settings], example_map: LoadedMap
) -> Iterator[Callable[..., Web]]:
    """Start the app with settings overrides; stopped at the end of the test."""
    started: list[TestClient] = []

    def start(**overrides: Any) -> Web:
        app = create_app(make_settings(**overrides), loaded=example_map)
        client = TestClient(app, base_url="http://testserver", follow_redirects=False)
        client.__enter__()
        started.append(client)
        return Web(app, client)

    yield start
    for client in reversed(started):
        client.__exit__(None, None, None)


@pytest.fixture
def web(make_web: Callable[..., Web]) -> Web:
    return make_web()
