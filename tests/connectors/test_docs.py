"""docs/connectors.md documents every built-in connector type and every option."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from lawful.connectors import connector_types
from lawful.connectors.files import FileOptions
from lawful.connectors.http import HTTPAuth, HTTPOptions, HTTPTable
from lawful.connectors.sql import SQLOptions

DOC = (Path(__file__).resolve().parents[2] / "docs" / "connectors.md").read_text()


def documented_names() -> set[str]:
    """Names in the first column of a table, or in backticks anywhere."""
    return set(re.findall(r"`([a-z_]+)`", DOC))


def test_every_connector_type_is_documented() -> None:
    missing = set(connector_types()) - documented_names()
    assert not missing


def test_every_connection_option_is_documented() -> None:
    models: list[type[BaseModel]] = [SQLOptions, FileOptions, HTTPOptions, HTTPTable, HTTPAuth]
    options = {name for model in models for name in model.model_fields}
    assert not options - documented_names()
