"""The recognizer registry: built-ins and third parties' recognizers, found the same way.

Recognizers are entry points in the `lawful.recognizers` group. An entry point names a
recognizer class (built with no arguments) or a function returning recognizers — such as
`lawful.recognizers.registry:builtin_patterns`, which reads this package's
`recognizers.yaml`. A package adding its own declares them in its metadata, and may load
its YAML with `recognizers_from_yaml(path)`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from importlib import resources
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lawful.recognizers.recognizers import (
    Pattern,
    PatternRecognizer,
    Recognizer,
    WordListRecognizer,
)
from lawful.recognizers.validators import VALIDATORS

GROUP = "lawful.recognizers"
# The built-ins, as pyproject.toml declares them: used too when the installed metadata
# predates them (an editable install not reinstalled), so they are always there.
BUILTIN = {
    "patterns": "lawful.recognizers.registry:builtin_patterns",
    "phone": "lawful.recognizers.phone_numbers:PhoneRecognizer",
    "person": "lawful.recognizers.person_names:PersonNameRecognizer",
}


class RecognizerError(Exception):
    """A recognizer that cannot be loaded: the message says which, where and how to fix it."""


class _PatternSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    regex: str
    score: float = Field(ge=0, le=1)
    start: Literal["any", "digits", "number", "capital"] = Field(
        default="any",
        description="Where every match begins: `digits` (a run of digits), `number` (a run of "
        "7 digits or more, single spaces, dots or hyphens between), `capital` (a word with a "
        "capital first) — tried only there, with the other such patterns — or `any`",
    )


class _RecognizerSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    entity: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    patterns: list[_PatternSpec] = Field(default_factory=list)
    words: list[str] = Field(default_factory=list)
    score: float = Field(default=0.6, ge=0, le=1, description="Score of a word-list match")
    validator: str | None = None
    context: list[str] = Field(default_factory=list)
    context_score: float = Field(default=0.2, ge=0, le=1)
    context_required: bool = False
    ignore_case: bool = False
    requires: str | None = Field(
        default=None, description="A regex every match contains: texts without it are skipped"
    )
    anchor: str | None = Field(
        default=None,
        description="A literal every match holds (`@`): the patterns are tried only around "
        "each one, from `anchor_reach` characters before it",
    )
    anchor_reach: int = Field(default=64, ge=1, le=1000)


def recognizers_from_yaml(path: Path) -> list[Recognizer]:
    """The recognizers a YAML file defines (`recognizers: [{name, entity, patterns | words,
    validator, context, …}]`). Raises RecognizerError as `file:line: what — fix`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise RecognizerError(f"{path}: cannot be read ({error.strerror})") from None
    return _from_text(text, str(path))


def builtin_patterns() -> list[Recognizer]:
    """The built-in pattern and word-list recognizers (this package's recognizers.yaml)."""
    source = resources.files("lawful.recognizers").joinpath("recognizers.yaml")
    return _from_text(source.read_text(encoding="utf-8"), "lawful/recognizers/recognizers.yaml")


def _from_text(text: str, where: str) -> list[Recognizer]:
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        raise RecognizerError(f"{where}{line}: not valid YAML ({error})") from None
    items = data.get("recognizers") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise RecognizerError(f"{where}:1: expected a `recognizers:` list of recognizers")
    lines = _item_lines(node, len(items))
    return [_build(item, f"{where}:{line}") for item, line in zip(items, lines, strict=True)]


def _item_lines(node: yaml.Node | None, count: int) -> list[int]:
    for key, value in getattr(node, "value", []):
        if getattr(key, "value", None) == "recognizers" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return [1] * count


def _build(item: object, where: str) -> Recognizer:
    try:
        spec = _RecognizerSpec.model_validate(item)
    except ValidationError as error:
        first = error.errors()[0]
        at = ".".join(str(p) for p in first["loc"]) or "recognizer"
        raise RecognizerError(f"{where}: `{at}`: {first['msg']}") from None
    if bool(spec.patterns) == bool(spec.words):
        raise RecognizerError(
            f"{where}: recognizer `{spec.name}` needs `patterns` or `words` (one of them)"
        )
    if spec.validator is not None and spec.validator not in VALIDATORS:
        known = ", ".join(sorted(VALIDATORS))
        raise RecognizerError(f"{where}: unknown validator `{spec.validator}` (known: {known})")
    if spec.words:
        return WordListRecognizer(
            spec.name, spec.entity, spec.words, spec.score, spec.context, spec.context_score
        )
    try:
        return PatternRecognizer(
            spec.name,
            spec.entity,
            [Pattern(p.regex, p.score, p.start) for p in spec.patterns],
            VALIDATORS[spec.validator] if spec.validator else None,
            spec.context,
            spec.context_score,
            spec.context_required,
            spec.ignore_case,
            spec.requires,
            spec.anchor,
            spec.anchor_reach,
        )
    except Exception as error:  # re.error, in the message of the pattern that broke
        raise RecognizerError(
            f"{where}: recognizer `{spec.name}` has a bad regex ({error})"
        ) from None


@cache
def installed_recognizers() -> tuple[Recognizer, ...]:
    """Every recognizer registered in the `lawful.recognizers` group (built-ins included)."""
    found = {ep.name: ep for ep in entry_points(group=GROUP)}
    for name, value in BUILTIN.items():
        found.setdefault(name, EntryPoint(name, value, GROUP))
    recognizers: list[Recognizer] = []
    for name in sorted(found):
        recognizers.extend(_load(found[name]))
    return tuple(recognizers)


def _load(entry: EntryPoint) -> Iterable[Recognizer]:
    try:
        loaded: Any = entry.load()
    except (ImportError, AttributeError) as error:
        raise RecognizerError(
            f"the recognizer entry point `{entry.name}` ({entry.value}) could not be imported: {error}"
        ) from None
    made: Any = loaded() if isinstance(loaded, type | Callable) else loaded
    items = [made] if isinstance(made, Recognizer) else list(made)
    for item in items:
        if not isinstance(item, Recognizer):
            raise RecognizerError(
                f"the recognizer entry point `{entry.name}` ({entry.value}) gave {type(item).__name__}, "
                "not a recognizer (it needs `name`, `entities` and `analyze(text)`)"
            )
    return items
