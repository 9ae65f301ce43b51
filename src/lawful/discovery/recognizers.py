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
from typing import Literal, Protocol, runtime_checkable

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
    """A regex and the score of its matches. `start="digits"`: every match begins where a run
    of digits begins (the regex is tried only there, together with every other such pattern
    of the analyzer — one attempt per run of digits instead of one scan per pattern)."""

    regex: str
    score: float
    start: Literal["any", "digits"] = "any"


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
        anywhere = [(i, p) for i, p in enumerate(self.patterns) if p.start != "digits"]
        joined = "|".join(f"(?P<p{i}>{p.regex})" for i, p in anywhere)
        flags = re.IGNORECASE if self.ignore_case else 0
        self._regex = re.compile(joined, flags) if anywhere else None
        self.at_digits = tuple(
            (f"p{i}", p) for i, p in enumerate(self.patterns) if p.start == "digits"
        )
        for _, pattern in self.at_digits:
            re.compile(pattern.regex, flags)  # a bad regex fails here, naming this recognizer
        self._scores = {f"p{i}": p.score for i, p in enumerate(self.patterns)}
        self._context = context_regex(self.context)
        self._requires = re.compile(self.requires) if self.requires else None
        self._alone: PatternSet | None = None

    def analyze(self, text: str) -> Iterator[Finding]:
        if self._alone is None:
            self._alone = PatternSet([self])
        yield from self._alone.analyze(text)

    def applies(self, text: str) -> bool:
        """False for a text without the literal every match holds (`@` for an email)."""
        return self._requires is None or self._requires.search(text) is not None

    def finding(self, text: str, start: int, end: int, pattern: str) -> Finding | None:
        """The finding a match of the pattern named `pattern` makes, if its validator and
        context allow it."""
        if self.validator is not None and not self.validator(text[start:end]):
            return None
        score = self._scores[pattern]
        if self._context is not None and has_context(text, start, self._context):
            score = min(1.0, score + self.context_score)
        elif self.context_required:
            return None
        return Finding(start, end, self.entity, score, self.name)

    def matches_anywhere(self, text: str) -> Iterator[re.Match[str]]:
        """Every match of the patterns not bound to digits; when context is required, only
        those just after a context word (the rare context words are searched first, so the
        patterns run on small windows)."""
        if self._regex is None:
            return
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


_DIGIT_RUN = re.compile(r"\d+")


class PatternSet:
    """Pattern recognizers run together over a text: each scans the text for its patterns
    that may start anywhere, and the patterns bound to digits are joined, across recognizers,
    into one alternation tried once where each run of digits begins. Where one alternative
    matches, the later ones are tried at the same place too, so no recognizer hides another.
    """

    def __init__(self, recognizers: Sequence[PatternRecognizer]) -> None:
        self.recognizers = tuple(recognizers)
        alternatives: list[str] = []
        self._owners: list[tuple[PatternRecognizer, str]] = []
        for recognizer in self.recognizers:
            for group, pattern in recognizer.at_digits:
                flag = "(?i:" if recognizer.ignore_case else "(?:"
                # The empty group closes last: `lastgroup` names the alternative that matched.
                alternatives.append(f"{flag}{pattern.regex})(?P<_{len(alternatives)}>)")
                self._owners.append((recognizer, group))
        # _chains[k]: alternatives k, k+1, … (to try the later ones where one matched)
        self._chains = [re.compile("|".join(alternatives[k:])) for k in range(len(alternatives))]

    def analyze(self, text: str) -> list[Finding]:
        applying = [r for r in self.recognizers if r.applies(text)]
        found: list[Finding] = []
        for recognizer in applying:
            for match in recognizer.matches_anywhere(text):
                made = recognizer.finding(text, match.start(), match.end(), match.lastgroup or "p0")
                if made is not None:
                    found.append(made)
        if self._chains:
            found.extend(self._at_digits(text, {id(r) for r in applying}))
        return found

    def _at_digits(self, text: str, applying: set[int]) -> Iterator[Finding]:
        chains, owners = self._chains, self._owners
        for run in _DIGIT_RUN.finditer(text):
            start, k = run.start(), 0
            while k < len(chains):
                match = chains[k].match(text, start)
                if match is None:
                    break
                index = int((match.lastgroup or "_0")[1:])
                recognizer, group = owners[index]
                if id(recognizer) in applying:
                    made = recognizer.finding(text, start, match.end(), group)
                    if made is not None:
                        yield made
                k = index + 1


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
