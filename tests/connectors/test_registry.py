"""Finding and opening connectors: entry points, env vars, paths."""

from __future__ import annotations

import sys
import types
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import pytest

from lawful.connectors import ConnectionSpec, Connector, ConnectorError, registry
from lawful.connectors.base import Before, Key, Referrer, Row
from lawful.connectors.files import CSVConnector
from lawful.connectors.http import HTTPConnector
from lawful.connectors.schema import LiveSchema
from lawful.connectors.sql import MySQLConnector, PostgreSQLConnector, SQLiteConnector
from lawful.datamap.models import Connection


@pytest.fixture
def fresh_registry() -> Iterator[None]:
    """Forget the cached entry points before and after (a test may fake new ones)."""
    registry._entry_points.cache_clear()
    registry.connector_type.cache_clear()
    yield
    registry._entry_points.cache_clear()
    registry.connector_type.cache_clear()


def test_every_built_in_connector_is_registered_as_an_entry_point() -> None:
    types_ = registry.connector_types()
    assert types_["sqlite"] is SQLiteConnector
    assert types_["postgresql"] is PostgreSQLConnector
    assert types_["mysql"] is types_["mariadb"] is MySQLConnector
    assert types_["csv"] is CSVConnector
    assert types_["http"] is HTTPConnector
    assert {"jsonl", "parquet"} <= set(types_)


def test_an_unknown_type_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ConnectorError) as caught:
        registry.open_connector(
            "warehouse", Connection(type="snowflake"), base_dir=tmp_path, environ={}
        )
    message = str(caught.value)
    assert message.startswith("system `warehouse`: unknown connector type `snowflake`")
    assert "csv, http, jsonl, mariadb, mysql, parquet, postgresql, sqlite" in message


def test_a_missing_url_env_var_names_the_system_and_the_variable(tmp_path: Path) -> None:
    connection = Connection(type="postgresql", url_env="CRM_DATABASE_URL")
    with pytest.raises(ConnectorError) as caught:
        registry.open_connector("crm", connection, base_dir=tmp_path, environ={"OTHER": "x"})
    assert caught.value.system == "crm"
    assert "CRM_DATABASE_URL is not set; export CRM_DATABASE_URL=" in str(caught.value)


def test_an_empty_env_var_counts_as_missing(tmp_path: Path) -> None:
    connection = Connection(type="postgresql", url_env="CRM_DATABASE_URL")
    with pytest.raises(ConnectorError, match="CRM_DATABASE_URL is not set"):
        registry.open_connector(
            "crm", connection, base_dir=tmp_path, environ={"CRM_DATABASE_URL": ""}
        )


def test_a_missing_secret_named_in_the_options_is_reported(tmp_path: Path) -> None:
    connection = Connection(
        type="http",
        options={
            "base_url": "https://helpdesk.example.org",
            "auth": {"type": "bearer", "token_env": "HELPDESK_TOKEN"},
            "tables": {"users": {}},
        },
    )
    with pytest.raises(ConnectorError) as caught:
        registry.open_connector("helpdesk", connection, base_dir=tmp_path, environ={})
    assert caught.value.system == "helpdesk"
    assert "HELPDESK_TOKEN is not set" in str(caught.value)


def test_a_secret_written_where_an_env_var_name_belongs_is_refused_unshown(tmp_path: Path) -> None:
    connection = Connection(
        type="http",
        options={"auth": {"type": "bearer", "token_env": "sk_live_abc123"}, "tables": {"u": {}}},
    )
    with pytest.raises(ConnectorError, match="must name an environment variable") as caught:
        registry.open_connector("helpdesk", connection, base_dir=tmp_path, environ={})
    assert "sk_live_abc123" not in str(caught.value)


def test_a_relative_path_is_resolved_against_the_map_folder(tmp_path: Path) -> None:
    connector = registry.open_connector(
        "exports", Connection(type="csv", path="data/exports"), base_dir=tmp_path, environ={}
    )
    assert isinstance(connector, CSVConnector)
    assert connector.spec.path == tmp_path / "data" / "exports"


def test_the_spec_never_shows_the_url_or_secrets() -> None:
    spec = ConnectionSpec(
        system="crm",
        type="postgresql",
        url="postgresql://app:hunter2@db/crm",
        secrets={"TOKEN": "tok-42"},
    )
    assert "hunter2" not in repr(spec)
    assert "tok-42" not in repr(spec)


class MemoryConnector:
    """A third-party connector: it only has to implement the protocol."""

    def __init__(self, spec: ConnectionSpec) -> None:
        self.spec = spec

    def test_connection(self) -> None: ...

    def fetch(
        self,
        table: str,
        *,
        where: Mapping[str, Sequence[Any]],
        columns: Sequence[str],
        casefold: Collection[str] = (),
    ) -> list[Row]:
        return []

    def update(self, table: str, *, key: Key, rows: Sequence[Row]) -> int:
        return 0

    def delete(self, table: str, *, key: Key, keys: Sequence[Any]) -> int:
        return 0

    def count(
        self,
        table: str,
        *,
        where: Mapping[str, Sequence[Any]] | None = None,
        before: Before | None = None,
    ) -> int:
        return 0

    def scan(
        self,
        table: str,
        *,
        key: Key,
        columns: Sequence[str],
        after: Any = None,
        limit: int = 1000,
        before: Before | None = None,
    ) -> list[Row]:
        return []

    def count_by(
        self, table: str, *, columns: Sequence[str], values: Sequence[Any]
    ) -> dict[Any, int]:
        return {}

    def referrers(self, table: str) -> list[Referrer]:
        return []

    def columns(self, table: str) -> list[str]:
        return []

    def schema(self, *, schemas: Sequence[str] = ()) -> LiveSchema | None:
        return None

    def transaction(self) -> AbstractContextManager[None]:
        return nullcontext()

    def close(self) -> None: ...


def fake_plugin(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, module: types.ModuleType
) -> None:
    """Install `module` and declare one entry point for it, as a plugin package would."""
    monkeypatch.setitem(sys.modules, module.__name__, module)
    point = EntryPoint(name=name, value=value, group=registry.GROUP)
    real = vars(registry)["entry_points"]

    def entry_points(*, group: str) -> list[EntryPoint]:
        return [*real(group=group), point]

    monkeypatch.setattr(registry, "entry_points", entry_points)


def test_a_new_connector_is_one_module_and_one_entry_point(
    monkeypatch: pytest.MonkeyPatch, fresh_registry: None, tmp_path: Path
) -> None:
    module = types.ModuleType("lawful_memory_plugin")
    module.MemoryConnector = MemoryConnector  # type: ignore[attr-defined]
    fake_plugin(monkeypatch, "memory", "lawful_memory_plugin:MemoryConnector", module)
    connector = registry.open_connector(
        "cache", Connection(type="memory", options={"size": 3}), base_dir=tmp_path, environ={}
    )
    assert isinstance(connector, MemoryConnector)
    assert isinstance(connector, Connector)
    assert connector.spec.options == {"size": 3}
    assert registry.connector_types()["memory"] is MemoryConnector


def test_a_plugin_that_is_not_a_connector_is_refused(
    monkeypatch: pytest.MonkeyPatch, fresh_registry: None, tmp_path: Path
) -> None:
    module = types.ModuleType("lawful_broken_plugin")
    module.Nothing = type("Nothing", (), {"__init__": lambda self, spec: None})  # type: ignore[attr-defined]
    fake_plugin(monkeypatch, "broken", "lawful_broken_plugin:Nothing", module)
    fake_plugin(monkeypatch, "absent", "lawful_absent_plugin:Nothing", types.ModuleType("x"))
    with pytest.raises(ConnectorError, match="does not implement the Connector protocol"):
        registry.open_connector("b", Connection(type="broken"), base_dir=tmp_path, environ={})
    with pytest.raises(ConnectorError, match=r"`absent` .* could not be imported"):
        registry.open_connector("a", Connection(type="absent"), base_dir=tmp_path, environ={})
