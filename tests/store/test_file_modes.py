"""What Lawful keeps on disk is readable by its own user only: 0700 folders, 0600 files."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from lawful.config import Settings
from lawful.store.audit import record_event
from lawful.store.opening import open_store


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    """The common default: files 0644 and folders 0755 unless Lawful asks for less."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def modes_under(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): mode(p) for p in sorted(folder.rglob("*"))}


def write_something(settings: Settings) -> None:
    with open_store(settings) as store, store.sessions() as session:
        record_event(session, actor="a", action="x", subject_type="t", subject_id="1")
        session.commit()


def test_a_new_embedded_store_its_key_and_its_folder_are_owner_only(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", audit_checkpoint_every=1)
    write_something(settings)
    assert mode(settings.data_dir) == 0o700
    found = modes_under(settings.data_dir)
    assert {"lawful.db", "encryption.key", "audit-checkpoints.jsonl"} <= set(found)
    assert found == dict.fromkeys(found, 0o600)


def test_an_older_installation_readable_by_others_is_fixed_on_start(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    write_something(settings)
    outbox = settings.data_dir / "outbox"
    outbox.mkdir()
    (outbox / "20261207-mail.eml").write_text("Subject: code\n")
    for path in [settings.data_dir, outbox, *settings.data_dir.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    write_something(settings)
    assert (mode(settings.data_dir), mode(outbox)) == (0o700, 0o700)
    files = {name: m for name, m in modes_under(settings.data_dir).items() if name != "outbox"}
    assert files == dict.fromkeys(files, 0o600)
    assert "outbox/20261207-mail.eml" in files


def test_files_of_others_in_the_data_folder_are_left_alone(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    settings.data_dir.mkdir()
    notes = settings.data_dir / "README.txt"
    notes.write_text("ours to read")
    write_something(settings)
    assert mode(notes) == 0o644
