"""Table definitions kept between runs are used while the live schema is unchanged, and never
once a column is added or changes type (issue 19: a CLI that starts fast)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from lawful.connectors import open_connector
from lawful.datamap.models import Connection


def _columns(connection: Connection, table: str, cache: Path, environ: dict[str, str]) -> list[str]:
    """What a fresh connector (as in a new `lawful` process) sees of the table."""
    connector = open_connector(
        "shop", connection, base_dir=cache.parent, environ=environ, cache_dir=cache
    )
    try:
        return connector.columns(table)
    finally:
        connector.close()


def _rename_in_cache(cache: Path, table: str, old: str, new: str) -> None:
    """Edit the kept definition (the live schema is untouched, so its fingerprint holds)."""
    (path,) = cache.glob("tables-*.json")
    document = json.loads(path.read_text())
    for column in document["tables"][table]["columns"]:
        if column["name"] == old:
            column["name"] = new
    path.write_text(json.dumps(document))


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[tuple[Connection, sa.Engine]]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'shop.sqlite'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE people (id INTEGER PRIMARY KEY, email VARCHAR(80))")
    yield Connection(type="sqlite", path="shop.sqlite"), engine
    engine.dispose()


def test_a_kept_sqlite_table_is_used_until_a_column_is_added(
    sqlite_store: tuple[Connection, sa.Engine], tmp_path: Path
) -> None:
    connection, engine = sqlite_store
    cache = tmp_path / "cache"
    assert _columns(connection, "people", cache, {}) == ["id", "email"]
    _rename_in_cache(cache, "people", "email", "kept_email")
    # the schema did not change: the kept definition is what the next run works with
    assert _columns(connection, "people", cache, {}) == ["id", "kept_email"]
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE people ADD COLUMN phone TEXT")
    assert _columns(connection, "people", cache, {}) == ["id", "email", "phone"]


def test_a_kept_table_is_dropped_when_another_table_of_the_store_changes(
    sqlite_store: tuple[Connection, sa.Engine], tmp_path: Path
) -> None:
    connection, engine = sqlite_store
    cache = tmp_path / "cache"
    _columns(connection, "people", cache, {})
    _rename_in_cache(cache, "people", "email", "kept_email")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE orders (id INTEGER PRIMARY KEY)")
    assert _columns(connection, "people", cache, {}) == ["id", "email"]


def test_a_damaged_file_of_kept_tables_is_ignored_and_rewritten(
    sqlite_store: tuple[Connection, sa.Engine], tmp_path: Path
) -> None:
    connection, _ = sqlite_store
    cache = tmp_path / "cache"
    _columns(connection, "people", cache, {})
    (path,) = cache.glob("tables-*.json")
    document = json.loads(path.read_text())
    document["tables"]["people"]["primary_key"] = ["no_such_column"]
    path.write_text(json.dumps(document))
    assert _columns(connection, "people", cache, {}) == ["id", "email"]
    path.write_text("{not json")
    assert _columns(connection, "people", cache, {}) == ["id", "email"]
    assert json.loads(path.read_text())["tables"]["people"]["primary_key"] == ["id"]


def test_a_kept_postgresql_table_is_dropped_when_a_column_is_added_or_retyped(
    pg_database_factory: Callable[[str], str], tmp_path: Path
) -> None:
    url = pg_database_factory("lawful_tablecache")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE people (id integer PRIMARY KEY, email varchar(80), "
            "tags jsonb, seen timestamptz)"
        )
    connection, environ = Connection(type="postgresql", url_env="SHOP_URL"), {"SHOP_URL": url}
    cache = tmp_path / "cache"
    assert _columns(connection, "people", cache, environ) == ["id", "email", "tags", "seen"]
    connector = open_connector("shop", connection, base_dir=tmp_path, environ=environ,
                               cache_dir=cache)  # fmt: skip
    # JSONB's repr names another type (astext_type=Text()): that table is reflected each time
    assert not list(cache.glob("tables-*.json"))
    connector.close()
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE people DROP COLUMN tags")
    assert _columns(connection, "people", cache, environ) == ["id", "email", "seen"]
    _rename_in_cache(cache, "people", "email", "kept_email")
    assert _columns(connection, "people", cache, environ) == ["id", "kept_email", "seen"]
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE people ALTER COLUMN email TYPE varchar(200)")
    assert _columns(connection, "people", cache, environ) == ["id", "email", "seen"]
    _rename_in_cache(cache, "people", "email", "kept_email")
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE people ADD COLUMN phone text")
    assert _columns(connection, "people", cache, environ) == ["id", "email", "seen", "phone"]
    engine.dispose()
