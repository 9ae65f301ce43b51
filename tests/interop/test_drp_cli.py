"""`lawful drp agent add|import|list|remove` on a real SQLite store: staff trust agents from
the command line; bad input is one line and exit 1, nothing stored."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from nacl.signing import SigningKey
from typer.testing import CliRunner

from lawful.cli import app

from ..support.databases import copy_store
from ..web.conftest import KEY

runner = CliRunner()


@pytest.fixture(autouse=True)
def store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, platform_store_template: Path) -> None:
    """A configured store (a copy of the migrated template), as a deployment has."""
    monkeypatch.setenv("LAWFUL_DATABASE_URL", copy_store(platform_store_template, tmp_path))
    monkeypatch.setenv("LAWFUL_ENCRYPTION_KEY", KEY)
    monkeypatch.setenv("LAWFUL_DATA_DIR", str(tmp_path / "data"))


def a_key() -> str:
    return base64.b64encode(bytes(SigningKey.generate().verify_key)).decode()


def lawful(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["drp", "agent", *args])
    return result.exit_code, result.output


def test_staff_add_list_and_remove_an_agent() -> None:
    key = a_key()
    assert lawful("add", "CR_APP", "--name", "Permission Slip", "--verify-key", key)[0] == 0
    code, listed = lawful("list")
    assert code == 0
    assert "CR_APP" in listed
    assert "Permission Slip" in listed
    assert lawful("remove", "CR_APP")[0] == 0
    assert "no agents" in lawful("list")[1]


def test_a_directory_file_of_agent_entries_is_imported_all_or_none(tmp_path: Path) -> None:
    entries = [
        {"id": "FIRST", "name": "First", "verify_key": a_key(), "technical_contact": "t@a.test"},
        {"id": "SECOND", "name": "Second", "verify_key": "not a key"},
    ]
    directory = tmp_path / "agents.json"
    directory.write_text(json.dumps(entries))
    code, output = lawful("import", str(directory))
    assert code == 1
    assert output.strip().count("\n") == 0
    assert "SECOND" in output
    assert "base64" in output
    assert "no agents" in lawful("list")[1]
    directory.write_text(json.dumps(entries[:1]))
    assert lawful("import", str(directory)) == (0, "ok 1 agents saved\n")
    assert "FIRST" in lawful("list")[1]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["add", "lower-case", "--name", "X", "--verify-key", "AAAA"], "capital letters"),
        (
            ["add", "GOOD", "--name", "X", "--verify-key", base64.b64encode(b"short").decode()],
            "5 bytes",
        ),
        (["remove", "NOBODY"], "no agent"),
    ],
)
def test_bad_agent_input_is_one_line_and_exit_1(args: list[str], says: str) -> None:
    code, output = lawful(*args)
    assert code == 1
    assert says in output
    assert "Traceback" not in output
