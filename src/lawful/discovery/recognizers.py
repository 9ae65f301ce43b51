"""Recognizers: small objects that find one kind of entity in a text.

A recognizer is anything with a `name`, the `entities` it finds and an `analyze(text)`
method (the `Recognizer` protocol). Most are patterns with an optional check-digit validator
and context words, or word lists — both written in a few lines of YAML
(`recognizers.yaml` in this package is the built-in set); the others are small classes
(phone numbers, person names). Every regex is compiled once, when the recognizer is built.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from lawful.discovery.validators import Validator

CONTEXT_WINDOW = 48  # characters before a match searched for context words


@dataclass(frozen=True, slots=True)
class Finding:
    """One entity found in a text: `text[start:end]`, its type, a score in [0, 1], and the
    recognizer that found it."""

    start: int
    end: int
    entity: str
    score: float
    recognizer: str


@runtime_checkable
class Recognizer(Protocol):
    """Finds entities of the types in `entities` in a text."""

    name: str
    entities: tuple[str, ...]

    def analyze(self, text: str) -> Iterable[Finding]:
        """Every finding in `text` (overlaps allowed: the analyzer resolves them)."""
        ...


def context_regex(words: Sequence[str]) -> re.Pattern[str] | None:
    """One regex matching any of `words` as whole words, case-blind (None for no words)."""
    if not words:
        return None
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def has_context(text: str, start: int, context: re.Pattern[str] | None) -> bool:
    """Whether a context word ends within CONTEXT_WINDOW characters before `start`."""
    return (
        context is not None
        and context.search(text, max(0, start - CONTEXT_WINDOW), start) is not None
    )


@dataclass(frozen=True)
class Pattern:
    regex: str
    score: float


@dataclass
class PatternRecognizer:
    """Regular expressions (one compiled alternation), an optional validator run on each
    match, and context words that raise the score (or are required)."""

    name: str
    entity: str
    patterns: Sequence[Pattern]
    validator: Validator | None = None
    context: Sequence[str] = ()
    context_score: float = 0.2
    context_required: bool = False
    ignore_case: bool = False
    requires: str | None = None
    entities: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.entities = (self.entity,)
        joined = "|".join(f"(?P<p{i}>{p.regex})" for i, p in enumerate(self.patterns))
        self._regex = re.compile(joined, re.IGNORECASE if self.ignore_case else 0)
        self._scores = {f"p{i}": p.score for i, p in enumerate(self.patterns)}
        self._context = context_regex(self.context)
        self._requires = re.compile(self.requires) if self.requires else None

    def analyze(self, text: str) -> Iterator[Finding]:
        if self._requires is not None and self._requires.search(text) is None:
            return  # a text without the literal every match holds (`@` for an email)
        for match in self._matches(text):
            value = match.group()
            if self.validator is not None and not self.validator(value):
                continue
            score = self._scores[match.lastgroup or "p0"]
            if self._context is not None and has_context(text, match.start(), self._context):
                score = min(1.0, score + self.context_score)
            elif self.context_required:
                continue
            yield Finding(match.start(), match.end(), self.entity, score, self.name)

    def _matches(self, text: str) -> Iterator[re.Match[str]]:
        """Every match; when context is required, only those just after a context word (the
        rare context words are searched first, so the patterns run on small windows)."""
        if not self.context_required or self._context is None:
            yield from self._regex.finditer(text)
            return
        done = -1
        for word in self._context.finditer(text):
            end = min(len(text), word.end() + 2 * CONTEXT_WINDOW)
            for match in self._regex.finditer(text, max(word.end(), done), end):
                if match.start() - word.end() <= CONTEXT_WINDOW:
                    done = match.end()
                    yield match


@dataclass
class WordListRecognizer:
    """Whole words (or phrases) from a list, matched case-blind in one compiled regex."""

    name: str
    entity: str
    words: Sequence[str]
    score: float = 0.6
    context: Sequence[str] = ()
    context_score: float = 0.2
    entities: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.entities = (self.entity,)
        regex = context_regex(self.words)
        if regex is None:
            raise ValueError(f"recognizer `{self.name}` has an empty word list")
        self._regex = regex
        self._context = context_regex(self.context)

    def analyze(self, text: str) -> Iterator[Finding]:
        for match in self._regex.finditer(text):
            score = self.score
            if has_context(text, match.start(), self._context):
                score = min(1.0, score + self.context_score)
            yield Finding(match.start(), match.end(), self.entity, score, self.name)
