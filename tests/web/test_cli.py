"""`lawful user create` and `lawful serve` as an administrator runs them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from lawful.auth.models import Role
from lawful.auth.service import SignInPolicy, authenticate
from lawful.cli import app
from lawful.complaints.service import list_complaints
from lawful.config import load_settings
from lawful.datamap.loader import load_datamap
from lawful.directives.service import list_directives
from lawful.dpia.models import DpiaState
from lawful.dpia.service import screen_purposes
from lawful.processors.service import register
from lawful.store.models import utcnow
from lawful.store.opening import open_store
from lawful.training.service import staff_training
from lawful.web.demo import prepare_demo

from ..support.servers import free_port
from .conftest import EXAMPLE_MAP, KEY

runner = CliRunner()
POLICY = SignInPolicy(max_failures=5, lockout=timedelta(minutes=15))


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, store_url: str, tmp_path: Path) -> None:
    monkeypatch.setenv("LAWFUL_DATABASE_URL", store_url)
    monkeypatch.setenv("LAWFUL_ENCRYPTION_KEY", KEY)
    monkeypatch.setenv("LAWFUL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)  # no lawful.toml from the working tree


def _create(*extra: str, password: str = "a long enough secret\n") -> Result:
    args = ["user", "create", "--email", "Pia@Staff.example", "--name", "Pia Officer", *extra]
    return runner.invoke(app, args, input=password)


@pytest.mark.usefixtures("environment")
def test_user_create_makes_an_account_that_can_sign_in() -> None:
    result = _create("--role", "privacy_officer", "--password-stdin")
    assert result.exit_code == 0, result.output
    assert "created Pia Officer (privacy_officer)" in result.output
    with open_store(load_settings()) as store, store.sessions() as session:
        signed = authenticate(session, keyring=store.keyring, email="pia@staff.example",
                              password="a long enough secret", policy=POLICY, now=utcnow())  # fmt: skip
        assert signed.user is not None
        assert signed.user.role is Role.privacy_officer
        assert b"pia@staff.example" not in signed.user.email_sealed


@pytest.mark.usefixtures("environment")
def test_user_create_asks_for_the_password_twice_when_not_piped() -> None:
    result = _create("--role", "auditor", password="a long enough secret\na long enough secret\n")
    assert result.exit_code == 0, result.output
    assert "a long enough secret" not in result.output


@pytest.mark.usefixtures("environment")
@pytest.mark.parametrize(
    ("extra", "password", "message"),
    [
        (["--role", "boss"], "a long enough secret\n", "unknown role 'boss'"),
        (["--role", "admin"], "short\n", "at least 12 characters"),
    ],
)
def test_user_create_refuses_bad_input_with_a_reason(
    extra: list[str], password: str, message: str
) -> None:
    result = _create(*extra, "--password-stdin", password=password)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


@pytest.mark.usefixtures("environment")
def test_user_create_refuses_an_email_that_already_has_an_account() -> None:
    assert _create("--role", "admin", "--password-stdin").exit_code == 0
    again = _create("--role", "analyst", "--password-stdin")
    assert again.exit_code == 1
    assert "already exists" in again.output


def test_serve_without_a_map_says_how_to_give_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LAWFUL_MAP_PATH", raising=False)
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 1
    assert "--map" in result.output


def test_the_demo_server_starts_from_a_fresh_store_with_one_account_per_role(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for variable in ("LAWFUL_DATABASE_URL", "LAWFUL_ENCRYPTION_KEY", "LAWFUL_DATA_DIR"):
        monkeypatch.delenv(variable, raising=False)
    base = load_settings()
    first = prepare_demo(base=base, map_path=EXAMPLE_MAP, data_dir=tmp_path / "data",
                         store_dir=tmp_path / "store")  # fmt: skip
    again = prepare_demo(base=base, map_path=EXAMPLE_MAP, data_dir=tmp_path / "data",
                         store_dir=tmp_path / "store")  # fmt: skip
    assert [a.role for a in again.accounts] == list(Role)
    assert {a.password for a in first.accounts}.isdisjoint(a.password for a in again.accounts)
    assert again.settings.datastore_dir == tmp_path / "data"
    assert again.settings.database_url is None
    example = load_datamap(EXAMPLE_MAP)
    with open_store(again.settings) as store, store.sessions() as session:
        for account in again.accounts:
            signed = authenticate(session, keyring=store.keyring, email=account.email,
                                  password=account.password, policy=POLICY, now=utcnow())  # fmt: skip
            assert signed.user is not None
            assert signed.user.role is account.role
        # The example company keeps each register (issue 18): an inquiry and a directive.
        [complaint] = list_complaints(session)
        [directive] = list_directives(session)
        assert (complaint.authority, directive.status.value) == ("CNIL", "verified")

        # The example company's registers (examples/contact-center/registers.yaml).
        rows = {r.purpose: r for r in screen_purposes(session, datamap=example.datamap)}
        dpia = rows["background_screening"].dpia
        assert dpia is not None
        assert dpia.state is DpiaState.approved
        agreements = {r.recipient: r.agreement for r in register(session, datamap=example.datamap)}
        assert all(agreements.values()), agreements
        assert all(row.latest is not None for row in staff_training(session))
        assert len(staff_training(session)) == len(list(Role))


def test_the_demo_seeds_its_past_year_once_and_says_what_it_added(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from lawful.cli.web import _seed_history

    monkeypatch.chdir(tmp_path)
    for variable in ("LAWFUL_DATABASE_URL", "LAWFUL_ENCRYPTION_KEY", "LAWFUL_DATA_DIR"):
        monkeypatch.delenv(variable, raising=False)
    demo = prepare_demo(base=load_settings(), map_path=EXAMPLE_MAP, data_dir=tmp_path / "none",
                        store_dir=tmp_path / "store")  # fmt: skip
    _seed_history(demo.settings, EXAMPLE_MAP)
    said = " ".join(capsys.readouterr().out.split())
    assert re.search(r"A past year: \d\d requests \(", said), said
    assert "0 retention sweeps" in said  # no example databases generated: nothing to sweep
    _seed_history(demo.settings, EXAMPLE_MAP)
    assert "already has requests: no past year added" in " ".join(capsys.readouterr().out.split())


def test_serve_with_two_workers_makes_the_store_once_and_both_answer(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAWFUL_")}
    env["LAWFUL_DATA_DIR"] = str(tmp_path / "store")
    command = [str(Path(sys.executable).parent / "lawful"), "serve", "--map", str(EXAMPLE_MAP),
               "--port", str(port), "--workers", "2"]  # fmt: skip
    server = subprocess.Popen(command, cwd=tmp_path, env=env, stderr=subprocess.PIPE)
    try:
        assert _healthy(f"http://127.0.0.1:{port}/healthz", server)
        assert _workers_of(server.pid) == 2
        assert [p.name for p in (tmp_path / "store").iterdir() if "key" in p.name] == [
            "encryption.key"
        ]
    finally:
        server.terminate()
        server.communicate(timeout=30)


def _workers_of(pid: int) -> int:
    """Child processes that are server workers (not multiprocessing's resource tracker),
    once both have started (a bounded wait: /healthz answers as soon as the first is up)."""
    deadline, found = time.monotonic() + 30, 0
    while time.monotonic() < deadline:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        commands = [Path(f"/proc/{child}/cmdline").read_bytes() for child in children]
        found = sum(b"spawn_main" in command for command in commands)
        if found >= 2:
            return found
        time.sleep(0.2)
    return found


def _healthy(url: str, server: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                return bool(json.loads(answer.read())["status"] == "ok")
        except OSError:
            time.sleep(0.2)
    return False


@pytest.mark.usefixtures("environment")
def test_user_remove_2fa_clears_a_lost_second_factor_and_audits_it() -> None:
    from lawful.auth.second_factor import start_enrolment
    from lawful.auth.service import email_index
    from lawful.store.audit import AuditEntry

    assert _create("--role", "admin", "--password-stdin").exit_code == 0
    with open_store(load_settings()) as store, store.sessions() as session:
        from lawful.auth.repository import user_by_email_index

        user = user_by_email_index(session, email_index(store.keyring, "pia@staff.example"))
        assert user is not None
        start_enrolment(session, keyring=store.keyring, user=user)
        user.totp_enabled_at = utcnow()
        session.commit()
    result = runner.invoke(app, ["user", "remove-2fa", "--email", "PIA@staff.example"])
    assert result.exit_code == 0, result.output
    assert "second factor removed for Pia Officer" in result.output
    again = runner.invoke(app, ["user", "remove-2fa", "--email", "pia@staff.example"])
    assert "nothing to do" in again.output
    unknown = runner.invoke(app, ["user", "remove-2fa", "--email", "nobody@staff.example"])
    assert unknown.exit_code == 1
    assert "no staff account" in unknown.output
    with open_store(load_settings()) as store, store.sessions() as session:
        from sqlalchemy import select

        found = user_by_email_index(session, email_index(store.keyring, "pia@staff.example"))
        assert found is not None
        assert found.totp_secret_sealed is None
        assert found.totp_enabled_at is None
        actors = session.scalars(
            select(AuditEntry.actor).where(AuditEntry.action == "staff.two_factor_removed")
        ).all()
        assert actors == ["cli"]
