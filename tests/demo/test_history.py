"""The demo's past year with its retention sweeps: real sweeps over the generated example
databases, each recorded with its evidence, in a few seconds."""

from __future__ import annotations

import base64
import io
import time
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from lawful.config import Settings
from lawful.datamap.loader import LoadedMap
from lawful.demo.generate import generate_company
from lawful.demo.history import seed_demo_store
from lawful.engine.models import JobStatus
from lawful.retention.repository import recent_sweeps
from lawful.store.opening import open_store

from .conftest import EXAMPLE_MAP

KEY = base64.b64encode(bytes(range(32))).decode()


def test_the_demo_year_runs_three_real_sweeps_with_evidence_quickly(
    tmp_path: Path, example_map: LoadedMap
) -> None:
    data = tmp_path / "demo-data"
    generate_company(subjects=80, out_dir=data, seed=3, console=Console(file=io.StringIO()),
                     workers=1)  # fmt: skip
    settings = Settings(map_path=EXAMPLE_MAP, data_dir=tmp_path / "platform", datastore_dir=data,
                        database_url=None, encryption_key=KEY, smtp_host=None)  # fmt: skip
    now = datetime.now(UTC)
    started = time.process_time()  # CPU time: the machine's other work does not count
    summary = seed_demo_store(settings, datamap=example_map.datamap, now=now)
    assert time.process_time() - started < 30  # bounded: a few seconds of work
    assert summary.seeded
    assert summary.sweeps == 3
    assert "3 retention sweeps" in summary.describe()
    with open_store(settings) as store, store.sessions() as session:
        sweeps = recent_sweeps(session)
        assert len(sweeps) == 3
        assert all(job.status is JobStatus.done for job in sweeps)
        assert all((job.result or {}).get("summary", {}).get("as_of") for job in sweeps)
    again = seed_demo_store(settings, datamap=example_map.datamap, now=now)
    assert not again.seeded
    assert again.sweeps == 0
