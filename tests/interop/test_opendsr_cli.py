"""`lawful opendsr client issue|list|revoke` on a real SQLite store: a client's token is
printed once, stored hashed, listed by its start, revoked; an unknown client is one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from lawful.cli import app
from lawful.interop.opendsr.models import OpenDsrCredential
from lawful.store.migrate import upgrade_database

from ..web.conftest import EXAMPLE_MAP, KEY

runner = CliRunner()


@pytest.fixture(autouse=True)
def store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'platform.db'}"
    monkeypatch.setenv("LAWFUL_DATABASE_URL", url)
    monkeypatch.setenv("LAWFUL_ENCRYPTION_KEY", KEY)
    monkeypatch.setenv("LAWFUL_DATA_DIR", str(tmp_path / "data"))
    upgrade_database(url=url)
    return url


def lawful(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["opendsr", "client", *args, "--map", str(EXAMPLE_MAP)])
    return result.exit_code, result.output


def test_staff_issue_list_and_revoke_a_clients_token(store: str) -> None:
    code, output = lawful("issue", "lumiere", "--label", "Lumière DSR hub")
    assert code == 0
    token = output.strip().splitlines()[-1]
    assert token.startswith("odsr_")
    with Session(create_engine(store)) as session:
        stored = session.scalars(select(OpenDsrCredential)).one()
    assert stored.client == "lumiere"
    assert token not in stored.token_hash
    code, listed = lawful("list")
    assert code == 0
    assert listed.split()[:4] == ["lumiere", f"{token[:12]}…", "Lumière", "DSR"]
    assert token not in listed
    assert lawful("revoke", token[:12])[0] == 0
    assert "no credentials" in lawful("list")[1]


def test_a_client_not_in_the_map_is_one_line_and_exit_1(store: str) -> None:
    code, output = lawful("issue", "nobody")
    assert code == 1
    assert "no client 'nobody' in the map (clients: brightpath, lumiere)" in output
    assert "Traceback" not in output
