"""YAML reading that remembers where every value was written, and merges `include:` files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from lawful.datamap.problems import DataMapError, DataPath, Position, Problem, SourceMap
from lawful.datamap.yamlbounds import (
    ReadBudget,
    YamlLimitError,
    compose_single_document,
    read_bounded_text,
)

# libyaml's loader when PyYAML was built with it: same nodes and marks, several times faster.
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MERGEABLE_SECTIONS = (
    "subjects",
    "categories",
    "purposes",
    "systems",
    "datasets",
    "recipients",
    "retention",
    "clients",
    "trackers",
)
SINGLE_SECTIONS = ("version", "organization", "banner", "checks")
# Mappings and lists are read as such; a tag asking for another type (!!set, !!python/…) is not.
PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


def read_yaml_tree(path: Path) -> tuple[dict[str, Any], SourceMap]:
    """Read `path` and its includes into one plain mapping plus its source map.

    Raises DataMapError listing every problem found (syntax, missing include, duplicates).
    """
    sources = SourceMap()
    problems: list[Problem] = []
    merged: dict[str, Any] = {}
    _read_into(
        path.resolve(), merged, sources, problems, stack=(), included_at=None, budget=ReadBudget()
    )
    if problems:
        raise DataMapError(problems)
    return merged, sources


def _read_into(
    path: Path,
    merged: dict[str, Any],
    sources: SourceMap,
    problems: list[Problem],
    *,
    stack: tuple[Path, ...],
    included_at: Position | None,
    budget: ReadBudget,
) -> None:
    document = parse_yaml_file(path, problems, included_at, budget)
    if document is None:
        return
    node, loader = document
    if node is None:
        return
    if not isinstance(node, yaml.MappingNode):
        problems.append(
            Problem(
                "Y003",
                "the data map must be a mapping of sections",
                "start with `organization:`",
                _pos(path, node),
            )
        )
        return
    data, file_sources = convert_mapping(node, loader, path, (), problems)
    includes = data.pop("include", [])
    include_position = file_sources.values.get(("include",))
    _merge(data, file_sources, merged, sources, problems, path)
    for index, entry in enumerate(includes if isinstance(includes, list) else [includes]):
        where = file_sources.values.get(("include", index), include_position)
        if not isinstance(entry, str):
            problems.append(
                Problem(
                    "Y002", "an include must be a file path", "write `include: [other.yaml]`", where
                )
            )
            continue
        target = (path.parent / entry).resolve()
        if target in stack or target == path:
            problems.append(
                Problem(
                    "Y004",
                    f"include cycle: {entry} includes itself again",
                    "remove one of the includes",
                    where,
                )
            )
            continue
        _read_into(
            target,
            merged,
            sources,
            problems,
            stack=(*stack, path),
            included_at=where,
            budget=budget,
        )


def parse_yaml_file(
    path: Path,
    problems: list[Problem],
    included_at: Position | None,
    budget: ReadBudget | None = None,
) -> tuple[yaml.Node | None, yaml.SafeLoader] | None:
    """The document of `path` as nodes, read within the limits of `yamlbounds`.

    Every reason it cannot be read becomes one located problem; never a traceback or a hang.
    """
    text = _read_text(path, problems, included_at, budget or ReadBudget())
    if text is None:
        return None
    loader = Loader(text)
    try:
        return compose_single_document(loader), loader
    except YamlLimitError as error:
        problems.append(
            Problem(error.code, error.message, error.hint, Position(path, error.line, error.col))
        )
        return None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = error.problem or "invalid YAML"
        problems.append(
            Problem(
                "Y001", f"YAML syntax error: {what}", _syntax_hint(what), Position(path, line, col)
            )
        )
        return None
    except yaml.YAMLError as error:
        problems.append(
            Problem(
                "Y001", f"YAML syntax error: {error}", "fix the YAML syntax", Position(path, 1, 1)
            )
        )
        return None
    finally:
        loader.dispose()


def _read_text(
    path: Path, problems: list[Problem], included_at: Position | None, budget: ReadBudget
) -> str | None:
    where = included_at or Position(path, 1, 1)
    try:
        return read_bounded_text(path, budget)
    except YamlLimitError as error:
        problems.append(Problem(error.code, error.message, error.hint, where))
    except FileNotFoundError:
        problems.append(
            Problem(
                "Y002",
                f"file not found: {path.name}",
                "check the path (relative to the file that includes it)",
                where,
            )
        )
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else str(error)
        problems.append(
            Problem(
                "Y002", f"cannot read {path.name}: {reason}", "save the file as UTF-8 text", where
            )
        )
    return None


def _syntax_hint(problem: str) -> str:
    if "indent" in problem or "mapping values are not allowed" in problem:
        return "check the indentation: keys of one mapping must line up, use spaces not tabs"
    if "tab" in problem:
        return "indent with spaces; YAML does not allow tabs"
    if "found character" in problem or "quoted" in problem:
        return "quote the value with double quotes"
    return "fix the YAML syntax at this place"


def _pos(path: Path, node: yaml.Node) -> Position:
    return Position(path, node.start_mark.line + 1, node.start_mark.column + 1)


def convert_mapping(
    node: yaml.MappingNode,
    loader: yaml.SafeLoader,
    path: Path,
    at: DataPath,
    problems: list[Problem],
) -> tuple[dict[str, Any], SourceMap]:
    sources = SourceMap()
    data = _convert(node, loader, path, at, sources, problems)
    return (data if isinstance(data, dict) else {}), sources  # {} when its tag was refused


def _convert(
    node: yaml.Node,
    loader: yaml.SafeLoader,
    path: Path,
    at: DataPath,
    sources: SourceMap,
    problems: list[Problem],
) -> Any:
    sources.values[at] = _pos(path, node)
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in PLAIN_TAGS:
        problems.append(
            Problem(
                "Y011",
                f"cannot read this value: the tag {node.tag!r} is not supported",
                "remove the tag: write a plain mapping or list",
                _pos(path, node),
            )
        )
        return None
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = (
                _scalar(key_node, loader, path, problems)
                if isinstance(key_node, yaml.ScalarNode)
                else None
            )
            if not isinstance(key, (str, int, bool)):
                problems.append(
                    Problem(
                        "Y003",
                        "a key must be a plain word",
                        "write `name: value`",
                        _pos(path, key_node),
                    )
                )
                continue
            key = str(key) if not isinstance(key, str) else key
            if key in result:
                problems.append(
                    Problem(
                        "Y005",
                        f"duplicate key `{key}`",
                        "keep only one of the entries",
                        _pos(path, key_node),
                    )
                )
                continue
            sources.keys[(*at, key)] = _pos(path, key_node)
            result[key] = _convert(value_node, loader, path, (*at, key), sources, problems)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _convert(item, loader, path, (*at, index), sources, problems)
            for index, item in enumerate(node.value)
        ]
    return _scalar(node, loader, path, problems)


def _scalar(node: yaml.Node, loader: yaml.SafeLoader, path: Path, problems: list[Problem]) -> Any:
    """The value of a scalar; an unknown tag or an impossible date is a problem, not a crash."""
    try:
        return loader.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, OverflowError) as error:
        reason = error.problem if isinstance(error, yaml.MarkedYAMLError) else str(error)
        problems.append(
            Problem(
                "Y011",
                f"cannot read this value: {reason}",
                "quote it to keep it as text",
                _pos(path, node),
            )
        )
        return None


def _merge(
    data: dict[str, Any],
    file_sources: SourceMap,
    merged: dict[str, Any],
    sources: SourceMap,
    problems: list[Problem],
    path: Path,
) -> None:
    for section, value in data.items():
        key_pos = file_sources.keys.get((section,))
        if (
            section in MERGEABLE_SECTIONS
            and isinstance(value, dict)
            and isinstance(merged.get(section), dict)
        ):
            for name, entry in value.items():
                if name in merged[section]:
                    problems.append(
                        Problem(
                            "Y005",
                            f"`{section}.{name}` is defined twice",
                            f"first at {sources.locate_key((section, name))}; keep one",
                            file_sources.keys.get((section, name)),
                        )
                    )
                    continue
                merged[section][name] = entry
                _copy_sources(file_sources, sources, (section, name))
            continue
        if section in merged:
            problems.append(
                Problem(
                    "Y005",
                    f"section `{section}` is defined twice",
                    f"first at {sources.locate_key((section,))}; keep one",
                    key_pos,
                )
            )
            continue
        merged[section] = value
        _copy_sources(file_sources, sources, (section,))


def _copy_sources(source: SourceMap, target: SourceMap, prefix: DataPath) -> None:
    n = len(prefix)
    for path, position in source.values.items():
        if path[:n] == prefix:
            target.values[path] = position
    for path, position in source.keys.items():
        if path[:n] == prefix:
            target.keys[path] = position
    # The section mapping itself: remember the first file that opened it.
    if n == 2 and prefix[:1] not in target.values:
        target.values[prefix[:1]] = source.values[prefix[:1]]
        target.keys.setdefault(prefix[:1], source.keys[prefix[:1]])
