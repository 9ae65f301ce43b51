"""Load and validate a data map: YAML → models, every error as a `file:line:col` problem."""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from lawful.datamap.models import DataMap
from lawful.datamap.problems import DataMapError, DataPath, Problem, SourceMap
from lawful.datamap.yamlsource import read_yaml_tree


@dataclass(frozen=True)
class LoadedMap:
    """A validated data map with the positions of everything in it."""

    datamap: DataMap
    sources: SourceMap
    path: Path


def load_datamap(path: Path) -> LoadedMap:
    """Read, merge and validate the data map at `path`.

    Raises DataMapError with one problem per mistake; never a traceback for a user mistake.
    """
    raw, sources = read_yaml_tree(path)
    try:
        datamap = DataMap.model_validate(raw)
    except ValidationError as error:
        raise DataMapError(schema_problems(error, raw, sources)) from None
    return LoadedMap(datamap=datamap, sources=sources, path=path.resolve())


def schema_problems(error: ValidationError, raw: Any, sources: SourceMap) -> list[Problem]:
    """Turn Pydantic's errors into problems, one per place, with the most useful message."""
    best: dict[DataPath, ErrorDetails] = {}
    for detail in error.errors(include_url=False):
        at = _data_path(detail["loc"], raw)
        if detail["type"] == "extra_forbidden":
            at = tuple(detail["loc"][: len(at) + 1]) if len(at) < len(detail["loc"]) else at
        current = best.get(at)
        if current is None or _rank(detail) < _rank(current):
            best[at] = detail
    problems = [_problem(at, detail, sources) for at, detail in best.items()]
    return sorted(problems, key=Problem.sort_key)


# Pydantic reports one error per member of a union; these say most to a person.
_PREFERRED = ("extra_forbidden", "missing", "enum", "literal_error", "string_pattern_mismatch")


def _rank(detail: ErrorDetails) -> int:
    kind = detail["type"]
    return _PREFERRED.index(kind) if kind in _PREFERRED else len(_PREFERRED)


def _data_path(loc: tuple[int | str, ...], raw: Any) -> DataPath:
    """The part of Pydantic's location that exists in the data (drops union member names)."""
    at: list[str | int] = []
    node = raw
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            continue  # a union member's name, not a place in the data
        at.append(part)
    return tuple(at)


def _problem(at: DataPath, detail: ErrorDetails, sources: SourceMap) -> Problem:
    kind = detail["type"]
    dotted = ".".join(str(p) for p in at) or "the data map"
    if kind == "extra_forbidden":
        key = str(at[-1])
        return Problem(
            "S001",
            f"unknown key `{key}` in `{_parent(at)}`",
            _unknown_key_hint(at, key),
            sources.locate_key(at),
        )
    if kind == "missing":
        missing = str(detail["loc"][-1])
        return Problem(
            "S003",
            f"`{dotted}` is missing the required key `{missing}`",
            f"add `{missing}:` here (see `lawful schema`)",
            sources.locate(at),
        )
    message = detail["msg"].removeprefix("Value error, ")
    value = detail.get("input")
    shown = f" (got {value!r})" if isinstance(value, (str, int, float, bool)) else ""
    return Problem(
        "S002", f"`{dotted}`: {message}{shown}", _value_hint(at, detail), sources.locate(at)
    )


def _parent(at: DataPath) -> str:
    return ".".join(str(p) for p in at[:-1]) or "the top level"


def _unknown_key_hint(at: DataPath, key: str) -> str:
    if at[-2:-1] == ("connection",) and key in {"url", "password", "dsn", "user", "username"}:
        return "never write secrets in the map: put the URL in an environment variable and name it with `url_env`"
    allowed = _allowed_keys(at[:-1])
    if not allowed:
        return "remove it (see `lawful schema` for the allowed keys)"
    close = difflib.get_close_matches(key, allowed, n=1)
    listing = ", ".join(allowed)
    return f"did you mean `{close[0]}`? allowed: {listing}" if close else f"allowed keys: {listing}"


def _value_hint(at: DataPath, detail: ErrorDetails) -> str:
    kind = detail["type"]
    pattern = str(detail.get("ctx", {}).get("pattern", ""))
    if kind == "string_pattern_mismatch":
        if "A-Z]{2}" in pattern:
            return "use an ISO 3166-1 alpha-2 country code, e.g. FR, DE, US"
        if "A-Z_]" in pattern:
            return "name an environment variable in UPPER_SNAKE_CASE; its value holds the secret"
        if "a-fA-F]{6}" in pattern:
            return 'write a colour as #rrggbb in quotes, e.g. "#1f4e8c"'
        if "client:" in pattern:
            return "write `us`, or `client:<id>` naming an entry of `clients`"
        if ("\\." in pattern and at[-1:] == ("to",)) or at[-2:-1] == ("references",):
            return "write `dataset_id.field_name`"
        return "use lowercase letters, digits and underscores (dots between category levels)"
    if kind in ("enum", "literal_error"):
        return "use one of the values listed"
    if kind in ("int_parsing", "int_type", "bool_parsing", "bool_type"):
        return "write the value without quotes, e.g. 16 or true"
    if kind in ("dict_type", "model_type"):
        return "this must be a mapping of `key: value` lines, indented under its parent"
    if kind == "list_type":
        return "this must be a list: `[a, b]` or one `- item` per line"
    if kind == "string_type":
        return "this must be text; quote it if it looks like a number or a date"
    return "see `lawful schema` for the expected form"


def _allowed_keys(at: DataPath) -> list[str]:
    """Field names of the model found at `at`, following the DataMap annotations."""
    annotation: Any = DataMap
    for part in at:
        annotation = _step(annotation, part)
        if annotation is None:
            return []
    model = _model_in(annotation)
    return sorted(model.model_fields) if model else []


def _step(annotation: Any, part: str | int) -> Any:
    model = _model_in(annotation)
    if model is not None:
        field = model.model_fields.get(str(part))
        return field.annotation if field else None
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is dict and len(args) == 2:
        return args[1]
    if origin is list and args:
        return args[0]
    if origin is typing.Annotated:
        return _step(args[0], part)
    return None


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    if origin is typing.Annotated:
        return _model_in(typing.get_args(annotation)[0])
    return None
