"""`lawful requests sweep`: the daily housekeeping of request records, from the command line."""

from __future__ import annotations

import base64
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lawful.cli import app
from lawful.requests import repository
from lawful.requests.service import deny_request
from lawful.requests.states import RequestStatus

from ..support.keys import MASTER_KEY
from .conftest import WorldFactory

EXAMPLE = Path(__file__).parents[2] / "examples" / "contact-center" / "lawful.yaml"
KEY = base64.b64encode(bytes(range(32))).decode()


def test_the_sweep_expires_stale_requests_and_purges_old_records(
    world_factory: WorldFactory, sqlite_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    world = world_factory(sqlite_url)
    world.clock.now -= timedelta(days=800)  # long ago: both are past their time today
    stale = world.submit(request_type="access", email="stale@example.org", country="FR").request
    closed = world.submit(request_type="access", email="closed@example.org", country="FR").request
    with world.session() as session:
        deny_request(
            session,
            ctx=world.ctx,
            reference=closed.reference,
            reason="excessive",
            actor="staff:1",
            now=world.clock.now,
        )
    monkeypatch.setenv("LAWFUL_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("LAWFUL_ENCRYPTION_KEY", KEY)
    monkeypatch.setenv("LAWFUL_DATA_DIR", str(tmp_path / "lawful"))

    result = CliRunner().invoke(
        app,
        [
            "requests",
            "sweep",
            "-m",
            str(EXAMPLE),
            "--data",
            str(world.data_dir),
        ],
    )

    assert result.exit_code == 0, result.output
    assert "expired 1 unverified request(s); purged 1 request record(s)" in result.output
    assert world.request(stale.reference).status is RequestStatus.expired
    with world.sessions() as session:
        assert repository.by_reference(session, reference=closed.reference) is None


def test_index_names_gives_older_requests_their_name_words_with_a_progress_bar(
    world_factory: WorldFactory, sqlite_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from sqlalchemy import delete, update

    from lawful.requests.identity import name_token_index
    from lawful.requests.models import RequestNameToken, RightsRequest
    from lawful.requests.repository import RequestFilter, Search

    world = world_factory(sqlite_url)
    named = [world.submit(request_type="access", email=f"n{i}@example.org", country="FR",
                          name=f"Ludmila Élan-{i}").request for i in range(3)]  # fmt: skip
    world.submit(request_type="access", email="nameless@example.org", country="FR")
    with world.sessions() as session:  # as the migration leaves them
        session.execute(delete(RequestNameToken))
        session.execute(update(RightsRequest).values(name_tokens_ready=False))
        session.commit()
    monkeypatch.setenv("LAWFUL_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("LAWFUL_ENCRYPTION_KEY", base64.b64encode(MASTER_KEY).decode())
    monkeypatch.setenv("LAWFUL_DATA_DIR", str(tmp_path / "lawful"))

    result = CliRunner().invoke(app, ["requests", "index-names"])

    assert result.exit_code == 0, result.output
    assert "indexed the names of 4 request(s)" in result.output
    wanted = RequestFilter(
        search=Search(name_indexes=[name_token_index(world.ctx.keyring, "elan")])
    )
    with world.sessions() as session:
        found, total = repository.list_requests(session, wanted=wanted, limit=10, offset=0)
    assert total == 3
    assert {r.reference for r in found} == {r.reference for r in named}
    again = CliRunner().invoke(app, ["requests", "index-names"])
    assert "indexed the names of 0 request(s)" in again.output
