"""Read YAML a hostile author wrote: bounded size, depth, alias expansion and number length.

PyYAML's composer recurses once per nesting level (libyaml's does so in C, so a deeply
nested file crashes the process) and counts nothing when an alias repeats a node (a "billion
laughs" file expands to more values than memory holds). Here files are read with a size cap,
only when they are regular files, and nodes are built from the parser's event stream in a
loop that refuses, at the place it happens, what passes a limit. A map is a few thousand
values a dozen levels deep; the limits sit far above that and far below harm.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# A map and all its includes together; a real one is a few hundred kilobytes.
MAX_MAP_BYTES = 10 * 1024 * 1024
# Nesting levels: a map needs about ten; Python's own limit is near a thousand.
MAX_DEPTH = 100
# Values (keys included) once aliases are expanded: a large map has ~50,000.
MAX_NODES = 300_000
# Characters of an integer: no count in a map needs more; Python refuses past 4,300 digits.
MAX_INT_CHARS = 40

INT_TAG = "tag:yaml.org,2002:int"


class YamlLimitError(Exception):
    """The YAML passed one of the limits above, at `mark`."""

    def __init__(self, code: str, message: str, hint: str, mark: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint
        self.line = mark.line + 1 if mark else 1
        self.col = mark.column + 1 if mark else 1


@dataclass
class ReadBudget:
    """Bytes still allowed for the map and the files it includes."""

    remaining: int = MAX_MAP_BYTES


def read_bounded_text(path: Path, budget: ReadBudget) -> str:
    """The UTF-8 text of the regular file `path`, within the budget (which it spends).

    Raises FileNotFoundError, OSError, UnicodeDecodeError, or YamlLimitError (Y006 not a
    regular file, Y007 too large). Opened without blocking, so a FIFO cannot hang the reader.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise YamlLimitError(
                "Y006",
                f"{path} is not a regular file",
                "include only YAML files (not devices, pipes or folders)",
                None,
            )
        chunks: list[bytes] = []
        size = 0
        while chunk := os.read(fd, min(1 << 20, budget.remaining + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > budget.remaining:
                raise YamlLimitError(
                    "Y007",
                    f"{path.name} makes the map larger than {MAX_MAP_BYTES // (1024 * 1024)} MB",
                    "split the map or remove what it does not need; a map is usually < 1 MB",
                    None,
                )
    finally:
        os.close(fd)
    budget.remaining -= size
    return b"".join(chunks).decode("utf-8")


@dataclass
class _Open:
    """A sequence or mapping whose end event has not come yet."""

    node: yaml.SequenceNode | yaml.MappingNode
    anchor: str | None
    size: int = 1
    key: yaml.Node | None = None
    pairs: list[tuple[yaml.Node, yaml.Node]] = field(default_factory=list)


def compose_single_document(loader: Any) -> yaml.Node | None:
    """The one document of the stream as nodes, like `loader.get_single_node()`, bounded.

    `loader` is a PyYAML loader (libyaml's or the Python one; untyped in PyYAML's stubs).
    Raises yaml.MarkedYAMLError for a syntax error, YamlLimitError past a limit.
    """
    loader.get_event()  # stream start
    node = None
    if not loader.check_event(yaml.StreamEndEvent):
        loader.get_event()  # document start
        node = _compose_node(loader)
        loader.get_event()  # document end
    if not loader.check_event(yaml.StreamEndEvent):
        event = loader.get_event()
        raise yaml.composer.ComposerError(
            "expected a single document in the stream",
            node.start_mark if node else None,
            "but found another document",
            event.start_mark,
        )
    loader.get_event()
    return node


def _compose_node(loader: Any) -> yaml.Node:
    anchors: dict[str, tuple[yaml.Node, int | None]] = {}
    stack: list[_Open] = []
    while True:
        event = loader.get_event()
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            stack.append(_open(loader, event, anchors, depth=len(stack)))
            continue
        if isinstance(event, yaml.AliasEvent):
            node, size = _alias(event, anchors)
        elif isinstance(event, yaml.ScalarEvent):
            node, size = _scalar(loader, event, anchors), 1
        else:  # the end of the innermost open sequence or mapping
            done = stack.pop()
            node, size = _close(done, event), done.size
            if done.anchor is not None:
                anchors[done.anchor] = (node, size)
        if not stack:
            return node
        _attach(stack[-1], node, size, event)


def _open(
    loader: Any,
    event: Any,
    anchors: dict[str, tuple[yaml.Node, int | None]],
    *,
    depth: int,
) -> _Open:
    if depth >= MAX_DEPTH:
        raise YamlLimitError(
            "Y008",
            f"nested deeper than {MAX_DEPTH} levels",
            "a data map needs about ten levels: check the indentation and the brackets",
            event.start_mark,
        )
    is_sequence = isinstance(event, yaml.SequenceStartEvent)
    kind: type[yaml.SequenceNode] | type[yaml.MappingNode] = (
        yaml.SequenceNode if is_sequence else yaml.MappingNode
    )
    tag = event.tag
    if tag is None or tag == "!":
        tag = loader.resolve(kind, None, event.implicit)
    node = kind(tag, [], event.start_mark, None, flow_style=event.flow_style)
    _remember(event, node, None, anchors)
    return _Open(node, event.anchor)


def _close(done: _Open, event: Any) -> yaml.Node:
    done.node.end_mark = event.end_mark
    if isinstance(done.node, yaml.MappingNode):
        done.node.value = done.pairs
    return done.node


def _scalar(
    loader: Any,
    event: Any,
    anchors: dict[str, tuple[yaml.Node, int | None]],
) -> yaml.ScalarNode:
    tag = event.tag
    if tag is None or tag == "!":
        tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
    if tag == INT_TAG and len(event.value) > MAX_INT_CHARS:
        raise YamlLimitError(
            "Y010",
            f"a number of {len(event.value)} characters (at most {MAX_INT_CHARS})",
            'quote it if it is text, e.g. "0123…"',
            event.start_mark,
        )
    node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
    _remember(event, node, 1, anchors)
    return node


def _alias(event: Any, anchors: dict[str, tuple[yaml.Node, int | None]]) -> tuple[yaml.Node, int]:
    if event.anchor not in anchors:
        raise yaml.composer.ComposerError(
            None, None, f"found undefined alias {event.anchor!r}", event.start_mark
        )
    node, size = anchors[event.anchor]
    if size is None:
        raise YamlLimitError(
            "Y009",
            f"alias *{event.anchor} refers to a value that contains it",
            "an alias must repeat a value written before it, not one it is inside",
            event.start_mark,
        )
    return node, size


def _remember(
    event: Any,
    node: yaml.Node,
    size: int | None,
    anchors: dict[str, tuple[yaml.Node, int | None]],
) -> None:
    if event.anchor is None:
        return
    if event.anchor in anchors:
        raise yaml.composer.ComposerError(
            f"found duplicate anchor {event.anchor!r}; first occurrence",
            anchors[event.anchor][0].start_mark,
            "second occurrence",
            event.start_mark,
        )
    anchors[event.anchor] = (node, size)


def _attach(parent: _Open, node: yaml.Node, size: int, event: Any) -> None:
    parent.size += size
    if parent.size > MAX_NODES:
        raise YamlLimitError(
            "Y009",
            f"more than {MAX_NODES:,} values once aliases are expanded",
            "repeat fewer values with `*alias`, or split the map",
            event.start_mark,
        )
    if isinstance(parent.node, yaml.SequenceNode):
        parent.node.value.append(node)
    elif parent.key is None:
        parent.key = node
    else:
        parent.pairs.append((parent.key, node))
        parent.key = None
