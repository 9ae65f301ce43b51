"""kill -9 in the middle of a sweep on PostgreSQL: running `lawful retention run` again
finishes it, and the databases end exactly as after one clean sweep of the same data."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from lawful.datamap.loader import load_datamap
from lawful.demo.load import copy_sqlite, sqlite_systems
from lawful.store.migrate import upgrade_database

LAWFUL = str(Path(sys.executable).parent / "lawful")
EXAMPLE = Path(__file__).parents[2] / "examples" / "contact-center" / "lawful.yaml"
Company = Any  # tests/conftest.py: ExampleCompany


def _write_map(company: Company, path: Path) -> Path:
    """The map, pointed at the company's PostgreSQL copy, as YAML the command reads."""
    document = company.datamap.model_dump(mode="json", exclude_none=True)
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))
    return path


def _environment(company: Company, store_url: str) -> dict[str, str]:
    return {
        **os.environ,
        **company.environ,
        "LAWFUL_DATABASE_URL": store_url,
        "LAWFUL_ENCRYPTION_KEY": base64.b64encode(bytes(range(32))).decode(),
        "COLUMNS": "200",
    }


def _command(map_path: Path) -> list[str]:
    return [LAWFUL, "retention", "run", "-m", str(map_path), "--as-of", "2026-11-01",
            "--batch-size", "10", "--operator", "test"]  # fmt: skip


def _done_steps(store: sa.Engine) -> int:
    with store.connect() as conn:
        query = sa.text("SELECT count(*) FROM job_steps WHERE status = 'done'")
        return int(conn.execute(query).scalar_one())


def _snapshot(company: Company) -> dict[str, dict[Any, dict[str, Any]]]:
    return {did: company.table(did) for did in company.datamap.datasets}


def _kill_mid_run(command: list[str], env: dict[str, str], store: sa.Engine, log: Path) -> None:
    with log.open("w") as stderr:
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        deadline = time.monotonic() + 120
        try:
            while time.monotonic() < deadline and process.poll() is None:
                if _done_steps(store) >= 15:
                    os.kill(process.pid, signal.SIGKILL)
                    break
                time.sleep(0.005)
        finally:
            process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL, (process.returncode, log.read_text())


@pytest.fixture
def store_urls(tmp_path: Path) -> tuple[str, str]:
    """Two fresh SQLite platform stores: one for the killed sweep, one for the clean one."""
    urls = (f"sqlite:///{tmp_path / 'killed.db'}", f"sqlite:///{tmp_path / 'clean.db'}")
    for url in urls:
        upgrade_database(url=url)
    return urls


def _reload(company: Company, files: Path) -> None:
    """The same starting data again, in the same PostgreSQL schemas."""
    systems = sqlite_systems(load_datamap(EXAMPLE).datamap)
    for sid, engine in company.engines.items():
        copy_sqlite(files / systems[sid], engine, keep_tables=True)


def _run(command: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_a_sweep_killed_mid_run_resumes_to_the_same_state_as_one_clean_run(
    pg_company: Company, company_files: Path, tmp_path: Path, store_urls: tuple[str, str]
) -> None:
    command = _command(_write_map(pg_company, tmp_path / "lawful.yaml"))
    killed_store, clean_store = store_urls
    store = sa.create_engine(killed_store)
    _kill_mid_run(command, _environment(pg_company, killed_store), store, tmp_path / "kill.log")
    with store.connect() as conn:
        pending = conn.execute(sa.text("SELECT count(*) FROM job_steps WHERE status = 'pending'"))
        assert pending.scalar_one() > 0  # really killed in the middle

    rerun = _run(command, _environment(pg_company, killed_store))
    assert "finishing the sweep as of 2026-11-01" in rerun
    assert "resumed retention job" in rerun
    resumed = _snapshot(pg_company)
    with store.connect() as conn:
        assert conn.execute(sa.text("SELECT status FROM jobs")).scalars().all() == ["done"]
        retried = conn.execute(sa.text("SELECT count(*) FROM job_steps WHERE attempts > 1"))
        assert retried.scalar_one() <= 1  # at most the step in flight when it died
    store.dispose()

    _reload(pg_company, company_files)
    clean = _run(command, _environment(pg_company, clean_store))
    assert "ran retention job" in clean
    assert _snapshot(pg_company) == resumed
