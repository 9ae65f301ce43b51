"""Reading fideslang dataset files: datasets, collections, fields and their `fides_meta`,
with every malformed entry reported at `file:line:col` (never a traceback)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lawful.datamap.problems import DataPath, Position, Problem, SourceMap
from lawful.datamap.yamlsource import convert_mapping, parse_yaml_file


@dataclass(frozen=True)
class FidesReference:
    dataset: str
    collection: str
    field: str
    direction: str | None
    position: Position | None


@dataclass(frozen=True)
class FidesField:
    """A leaf field; fields nested in an object field are flattened to `parent.child`."""

    name: str
    categories: tuple[str, ...]
    description: str | None
    identity: str | None
    primary_key: bool
    read_only: bool
    custom_request_field: str | None
    references: tuple[FidesReference, ...]
    position: Position | None
    data_type: str | None = None


@dataclass(frozen=True)
class FidesCollection:
    name: str
    description: str | None
    fields: tuple[FidesField, ...]
    summary_categories: tuple[str, ...]
    after: tuple[str, ...]
    skip_processing: bool
    position: Position | None


@dataclass(frozen=True)
class FidesDataset:
    key: str
    collections: tuple[FidesCollection, ...]
    summary_categories: tuple[str, ...]
    after: tuple[str, ...]
    position: Position | None


@dataclass
class _Source:
    """One file being read: where each value was written, and the problems found so far."""

    path: Path
    sources: SourceMap
    problems: list[Problem]

    def where(self, at: DataPath) -> Position:
        return self.sources.locate(at) or Position(self.path, 1, 1)

    def report(self, code: str, message: str, hint: str, at: DataPath) -> None:
        self.problems.append(Problem(code, message, hint, self.where(at)))


def read_fides_file(path: Path, problems: list[Problem]) -> list[FidesDataset]:
    """The datasets of one fideslang file; problems found are appended to `problems`."""
    if not path.is_file():
        problems.append(
            Problem("F001", f"file not found: {path}", "check the path", Position(path, 1, 1))
        )
        return []
    parsed = parse_yaml_file(path, problems, None)
    if parsed is None:
        return []
    node, loader = parsed
    top = Position(path, 1, 1)
    hint = "a fideslang dataset file starts with `dataset:` followed by a list of datasets"
    if not isinstance(node, yaml.MappingNode):
        problems.append(Problem("F002", f"{path.name} is not a fideslang dataset file", hint, top))
        return []
    data, sources = convert_mapping(node, loader, path, (), problems)
    source = _Source(path, sources, problems)
    if "dataset" not in data:
        found = ", ".join(f"`{key}:`" for key in data) or "nothing"
        where = sources.keys.get((next(iter(data)),), top) if data else top
        problems.append(Problem("F002", f"no `dataset:` key (found {found})", hint, where))
        return []
    items = _list(source, data["dataset"], ("dataset",), "`dataset`") or []
    datasets = [_read_dataset(source, item, ("dataset", i)) for i, item in enumerate(items)]
    return [dataset for dataset in datasets if dataset is not None]


def _read_dataset(source: _Source, value: object, at: DataPath) -> FidesDataset | None:
    entry = _mapping(source, value, at, "a dataset")
    if entry is None:
        return None
    key = _required_text(source, entry, "fides_key", at, "the dataset")
    meta, meta_at = _meta(source, entry, at)
    collections_at = (*at, "collections")
    label = f"dataset `{key}`" if key else "the dataset"
    if "collections" not in entry:
        source.report("F003", f"{label} has no `collections`", "add `collections:`", at)
        return None
    items = _list(source, entry["collections"], collections_at, "`collections`") or []
    if not items:
        source.report(
            "F004",
            f"{label} has no collections",
            "list its tables under `collections:`, or leave the file out",
            collections_at,
        )
    collections = [
        _read_collection(source, item, (*collections_at, i)) for i, item in enumerate(items)
    ]
    if key is None:
        return None
    return FidesDataset(
        key=key,
        collections=tuple(c for c in collections if c is not None),
        summary_categories=_text_list(source, entry, "data_categories", at),
        after=_text_list(source, meta, "after", meta_at),
        position=source.where(at),
    )


def _read_collection(source: _Source, value: object, at: DataPath) -> FidesCollection | None:
    entry = _mapping(source, value, at, "a collection")
    if entry is None:
        return None
    name = _required_text(source, entry, "name", at, "the collection")
    meta, meta_at = _meta(source, entry, at)
    fields_at = (*at, "fields")
    if not entry.get("fields"):
        source.report(
            "F004",
            f"collection `{name}` has no fields" if name else "the collection has no fields",
            "list its fields under `fields:`; a collection without fields cannot be traversed",
            fields_at if "fields" in entry else at,
        )
        return None
    items = _list(source, entry["fields"], fields_at, "`fields`")
    if items is None:
        return None
    fields = _read_fields(source, items, fields_at, prefix="")
    _report_duplicate_fields(source, fields)
    if name is None:
        return None
    return FidesCollection(
        name=name,
        description=_optional_text(source, entry, "description", at),
        fields=tuple(fields),
        summary_categories=_text_list(source, entry, "data_categories", at),
        after=_text_list(source, meta, "after", meta_at),
        skip_processing=_flag(source, meta, "skip_processing", meta_at),
        position=source.where(at),
    )


def _report_duplicate_fields(source: _Source, fields: list[FidesField]) -> None:
    seen: set[str] = set()
    for item in fields:
        if item.name in seen:
            source.problems.append(
                Problem("F005", f"field `{item.name}` is listed twice", "keep one", item.position)
            )
        seen.add(item.name)


def _read_fields(
    source: _Source, items: list[Any], at: DataPath, *, prefix: str
) -> list[FidesField]:
    found: list[FidesField] = []
    for index, item in enumerate(items):
        found.extend(_read_field(source, item, (*at, index), prefix=prefix))
    return found


def _read_field(source: _Source, value: object, at: DataPath, *, prefix: str) -> list[FidesField]:
    entry = _mapping(source, value, at, "a field")
    if entry is None:
        return []
    name = _required_text(source, entry, "name", at, "the field")
    children = (
        _list(source, entry.get("fields"), (*at, "fields"), "`fields`")
        if entry.get("fields")
        else None
    )
    if children:
        if entry.get("data_categories"):
            source.report(
                "F003",
                f"object field `{prefix}{name}` has sub-fields and its own `data_categories`",
                "label its sub-fields instead (Fides rejects this too)",
                (*at, "data_categories"),
            )
        return _read_fields(source, children, (*at, "fields"), prefix=f"{prefix}{name}.")
    meta, meta_at = _meta(source, entry, at)
    references_at = (*meta_at, "references")
    references = meta.get("references")
    if references is not None:
        references = _list(source, references, references_at, "`references`")
    if name is None:
        return []
    return [
        FidesField(
            name=f"{prefix}{name}",
            categories=_text_list(source, entry, "data_categories", at),
            description=_optional_text(source, entry, "description", at),
            identity=_optional_text(source, meta, "identity", meta_at),
            primary_key=_flag(source, meta, "primary_key", meta_at),
            read_only=_flag(source, meta, "read_only", meta_at),
            custom_request_field=_optional_text(source, meta, "custom_request_field", meta_at),
            references=tuple(_read_references(source, references or [], references_at)),
            position=source.where(at),
            data_type=_optional_text(source, meta, "data_type", meta_at),
        )
    ]


def _read_references(source: _Source, items: list[Any], at: DataPath) -> Iterator[FidesReference]:
    for index, item in enumerate(items):
        here = (*at, index)
        entry = _mapping(source, item, here, "a reference")
        if entry is None:
            continue
        dataset = _required_text(source, entry, "dataset", here, "the reference")
        target = _required_text(source, entry, "field", here, "the reference")
        direction = entry.get("direction")
        if direction not in (None, "from", "to"):
            source.report(
                "F007",
                f"reference direction `{direction}` is neither `from` nor `to`",
                "write `direction: from` (found from the referenced rows) or `direction: to`",
                (*here, "direction"),
            )
            continue
        if target is not None and "." not in target:
            source.report(
                "F007",
                f"reference field `{target}` does not name its collection",
                f"write `field: <collection>.{target}`",
                (*here, "field"),
            )
            continue
        if dataset is None or target is None:
            continue
        collection, _, name = target.partition(".")
        yield FidesReference(dataset, collection, name, direction, source.where((*here, "field")))


def _meta(source: _Source, entry: dict[str, Any], at: DataPath) -> tuple[dict[str, Any], DataPath]:
    """`fides_meta`, or `fidesops_meta` as older files call it."""
    for key in ("fides_meta", "fidesops_meta"):
        if entry.get(key) is not None:
            return _mapping(source, entry[key], (*at, key), f"`{key}`") or {}, (*at, key)
    return {}, at


def _mapping(source: _Source, value: object, at: DataPath, what: str) -> dict[str, Any] | None:
    if isinstance(value, dict):
        return value
    source.report("F003", f"{what} must be a mapping", "write `key: value` lines under it", at)
    return None


def _list(source: _Source, value: object, at: DataPath, what: str) -> list[Any] | None:
    if isinstance(value, list):
        return value
    source.report("F003", f"{what} must be a list", "write one `- item` per line under it", at)
    return None


def _required_text(
    source: _Source, entry: dict[str, Any], key: str, at: DataPath, owner: str
) -> str | None:
    if key not in entry:
        source.report("F003", f"{owner} has no `{key}`", f"add `{key}:`", at)
        return None
    return _optional_text(source, entry, key, at)


def _optional_text(source: _Source, entry: dict[str, Any], key: str, at: DataPath) -> str | None:
    value = entry.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        source.report("F003", f"`{key}` must be text", "quote the value", (*at, key))
        return None
    return value.strip()


def _text_list(source: _Source, entry: dict[str, Any], key: str, at: DataPath) -> tuple[str, ...]:
    value = entry.get(key)
    if value is None:
        return ()
    items = _list(source, value, (*at, key), f"`{key}`") or []
    texts = [item.strip() for item in items if isinstance(item, str) and item.strip()]
    if len(texts) != len(items):
        source.report("F003", f"each entry of `{key}` must be text", "quote the values", (*at, key))
    return tuple(texts)


def _flag(source: _Source, entry: dict[str, Any], key: str, at: DataPath) -> bool:
    value = entry.get(key)
    if value is None or isinstance(value, bool):
        return bool(value)
    source.report("F003", f"`{key}` must be true or false", "write `true` or `false`", (*at, key))
    return False
