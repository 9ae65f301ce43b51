"""docs/connectors.md documents every built-in connector type and every option, each in
its own table: a name mentioned in passing elsewhere does not count."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from lawful.connectors import connector_types
from lawful.connectors.files import FileOptions
from lawful.connectors.http import HTTPAuth, HTTPOptions, HTTPTable
from lawful.connectors.sql import SQLOptions

from ..support.markdown import names_in_column, row

DOC = (Path(__file__).resolve().parents[2] / "docs" / "connectors.md").read_text()


def fields(model: type[BaseModel]) -> set[str]:
    return set(model.model_fields)


def test_every_connector_type_has_a_row_in_the_built_in_table() -> None:
    documented = names_in_column(DOC, under="Built-in connectors", column="type")
    assert set(connector_types()) - documented == set()


def test_every_connection_option_has_a_row_in_its_connectors_option_table() -> None:
    expected: list[tuple[str, str, type[BaseModel]]] = [
        ("SQL", "option", SQLOptions),
        ("Files", "option", FileOptions),
        ("HTTP", "option", HTTPOptions),
        ("HTTP", "table option", HTTPTable),
    ]
    for under, column, model in expected:
        documented = names_in_column(DOC, under=under, column=column)
        assert fields(model) - documented == set(), (under, column)


def test_every_http_auth_setting_is_named_in_the_auth_row() -> None:
    auth = row(DOC, under="HTTP", column="option", key="auth")
    assert {name for name in fields(HTTPAuth) if f"`{name}`" not in auth} == set()
