"""The example company ships the indexes a person look-up needs: every email identity of
the map is indexed on `lower(trim(email))`, the expression the engine compares."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from typer.testing import CliRunner

from lawful.cli import app
from lawful.datamap.loader import LoadedMap
from lawful.demo.generate import GenerationResult
from lawful.demo.indexes import add_identity_indexes, identity_indexes
from lawful.demo.load import sqlite_systems
from lawful.engine.datastores import Datastores, registry_factory

runner = CliRunner()


def _check_live(example_map: LoadedMap, data: Path) -> str:
    result = runner.invoke(
        app, ["check", "--live", "-m", str(example_map.path), "--data", str(data)]
    )
    return result.output


def _copy(company: GenerationResult, tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(company.out_dir, data)
    return data


def test_check_live_finds_an_index_for_every_email_identity_of_the_generated_company(
    example_map: LoadedMap, company: GenerationResult
) -> None:
    output = _check_live(example_map, company.out_dir)
    assert "D012" not in output, output
    statements = identity_indexes(example_map.datamap, backend="sqlite")
    assert "lower(trim(personal_email))" in " ".join(statements["hris"])
    assert "lower(trim(work_email))" in " ".join(statements["hris"])


def test_a_missing_identity_index_is_reported_then_added_once_by_the_repair(
    example_map: LoadedMap, company: GenerationResult, tmp_path: Path
) -> None:
    data = _copy(company, tmp_path)
    with closing(sqlite3.connect(data / "ats.sqlite")) as db:
        db.execute("DROP INDEX candidates_email_ci")
    assert "D012 identity `email` of `candidates`" in _check_live(example_map, data)
    files = {sid: data / name for sid, name in sqlite_systems(example_map.datamap).items()}
    add_identity_indexes(example_map.datamap, files=files)
    add_identity_indexes(example_map.datamap, files=files)  # idempotent: nothing doubled
    assert "D012" not in _check_live(example_map, data)
    with closing(sqlite3.connect(data / "ats.sqlite")) as db:
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")]
    assert names.count("candidates_email_ci") == 1


@contextmanager
def _statements() -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)


def test_a_stored_mixed_case_email_is_found_through_the_expression_index(
    example_map: LoadedMap, company: GenerationResult, tmp_path: Path
) -> None:
    data = _copy(company, tmp_path)
    with closing(sqlite3.connect(data / "ats.sqlite")) as db:
        db.execute("UPDATE candidates SET email = '  Ann.Lee@Example.ORG ' WHERE candidate_id = 3")
        db.commit()
    factory = registry_factory(example_map.datamap, base_dir=data, environ={})
    with Datastores(factory) as datastores, _statements() as seen:
        rows = datastores.read(
            "ats",
            lambda c: c.fetch(
                "candidates",
                where={"email": ["ann.lee@example.org"]},
                columns=["candidate_id"],
                casefold=["email"],
            ),
        )
    assert [r["candidate_id"] for r in rows] == [3]
    (statement, parameters) = next((s, p) for s, p in seen if "FROM candidates" in s)
    with closing(sqlite3.connect(data / "ats.sqlite")) as db:
        plan = " ".join(r[3] for r in db.execute(f"EXPLAIN QUERY PLAN {statement}", parameters))
    assert "USING INDEX candidates_email_ci" in plan, plan
