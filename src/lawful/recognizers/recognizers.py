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
from typing import Any, Literal, Protocol, runtime_checkable

import ahocorasick

from lawful.recognizers.validators import Validator

CONTEXT_WINDOW = 48  # characters before a match searched for context words
# How far after its anchor a match may end: an e-mail's domain is at most 255 characters
# (RFC 5321 §4.5.3.1.2).
ANCHOR_AFTER = 260


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
    """One regex matching any of `words` as whole words, case-blind (None for no words); the
    word's span is the group `w`. It begins with the class of the words' first letters, so
    a scan jumps from one such letter to the next instead of trying every character."""
    if not words:
        return None
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    first = "".join(sorted({re.escape(w[0]) for w in words}))
    return re.compile(
        rf"[{first}](?<!\w[{first}])(?<=(?=(?P<w>{alternatives})(?!\w))[{first}])", re.IGNORECASE
    )


def has_context(text: str, start: int, context: re.Pattern[str] | None) -> bool:
    """Whether a context word ends within CONTEXT_WINDOW characters before `start`."""
    return (
        context is not None
        and context.search(text, max(0, start - CONTEXT_WINDOW), start) is not None
    )


# Where a pattern's matches may begin. The analyzer tries the patterns of each kind of start
# together, and only where such a start is: one scan of the text per kind, whatever the
# number of patterns (a regex scan jumps over the other characters in C).
STARTS: dict[str, tuple[str, str, str]] = {
    # kind: (the first character, as a class: the engine then jumps to the next one in C;
    #        what may not come before it; what must follow it)
    "digits": (r"[\d]", r"\d", ""),  # where a run of digits begins
    # where a number of 7 digits or more begins (single spaces, dots or hyphens between):
    # the patterns of long numbers are not tried at every date, amount or house number
    "number": (r"[\d]", r"\d", r"(?=(?:[ .\-]?\d){6})"),
    "capital": ("[A-ZÀ-ÖØ-ÞΑ-ΩΆΈΉΊΌΎΏ]", r"\w", ""),  # where a word begins with a capital
}


@dataclass(frozen=True)
class Pattern:
    """A regex and the score of its matches. `start`: where every match begins — `digits` (a
    run of digits), `capital` (a word written with a capital first), or `any` (anywhere: the
    text is scanned for this recognizer's own patterns)."""

    regex: str
    score: float
    start: Literal["any", "digits", "number", "capital"] = "any"


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
    anchor: str | None = None
    anchor_reach: int = 64
    entities: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.entities = (self.entity,)
        flags = re.IGNORECASE if self.ignore_case else 0
        # A recognizer that needs a context word reads only the few windows after one: there
        # its patterns are scanned for, each start written as a guard in the regex.
        windowed = self.context_required and bool(self.context)
        anywhere = [(i, p) for i, p in enumerate(self.patterns) if windowed or p.start == "any"]
        joined = _scannable([(f"p{i}", p) for i, p in anywhere])
        self._regex = re.compile(joined, flags) if anywhere else None
        self.bound = tuple(
            (f"p{i}", p) for i, p in enumerate(self.patterns) if not windowed and p.start != "any"
        )
        for pattern in self.patterns:
            _check_start(pattern, re.compile(pattern.regex, flags))  # fails here, named
        self._scores = {f"p{i}": p.score for i, p in enumerate(self.patterns)}
        self._context = context_regex(self.context)
        self._folded_context = tuple(word.casefold() for word in self.context)
        self._requires = re.compile(self.requires) if self.requires else None
        # A literal (`@`) is looked for with `in`, without the regex engine.
        literal = self.requires is not None and re.escape(self.requires) == self.requires
        self._literal = self.requires if literal else None
        self.scans = self._regex is not None  # has patterns scanned for on their own
        self._alone: PatternSet | None = None

    def analyze(self, text: str) -> Iterator[Finding]:
        if self._alone is None:
            self._alone = PatternSet([self])
        yield from self._alone.analyze(text)

    def applies(self, text: str) -> bool:
        """False for a text without the literal every match holds (`@` for an email)."""
        if self._literal is not None:
            return self._literal in text
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

    def matches_anywhere(
        self, text: str, *, context_seen: bool = False
    ) -> Iterator[tuple[int, int, str]]:
        """(start, end, pattern name) of every match of the patterns scanned for on their
        own; when context is required, only those just after a context word (the rare
        context words are searched first, so the patterns run on small windows).
        `context_seen`: the caller knows a context word is in the text (`PatternSet` looks
        for every recognizer's at once)."""
        if self._regex is None:
            return
        if self.anchor is not None and not self.context_required:
            yield from self._around_anchors(text, self._regex, self.anchor)
            return
        if not self.context_required or self._context is None:
            for match in self._regex.finditer(text):
                name = match.lastgroup or "p0"
                yield match.start(), match.start(name), name
            return
        if not context_seen and not self.context_in(text.casefold()):
            return  # no context word at all: a few substring tests, no scan
        done = -1
        for word in self._context.finditer(text):
            after = word.end("w")
            end = min(len(text), after + 2 * CONTEXT_WINDOW)
            for match in self._regex.finditer(text, max(after, done), end):
                if match.start() - after <= CONTEXT_WINDOW:
                    name = match.lastgroup or "p0"
                    done = match.start(name)
                    yield match.start(), done, name

    def context_in(self, folded: str) -> bool:
        """Whether one of the context words is in the case-folded text."""
        return any(word in folded for word in self._folded_context)

    def _around_anchors(
        self, text: str, regex: re.Pattern[str], anchor: str
    ) -> Iterator[tuple[int, int, str]]:
        """The matches holding `anchor` (an `@`), each looked for from `anchor_reach`
        characters before it to ANCHOR_AFTER after it, not over the whole text."""
        done = 0
        at = text.find(anchor)
        while at != -1:
            match = regex.search(text, max(done, at - self.anchor_reach), at + ANCHOR_AFTER)
            if match is not None and match.start() <= at:
                name = match.lastgroup or "p0"
                done = match.start(name)
                yield match.start(), done, name
                at = text.find(anchor, max(at + 1, done))
            else:
                at = text.find(anchor, at + 1)


def _check_start(pattern: Pattern, compiled: re.Pattern[str]) -> None:
    if pattern.start != "any" and pattern.start not in STARTS:
        raise ValueError(f"unknown start `{pattern.start}` (any, {', '.join(STARTS)})")
    if pattern.start != "any" and compiled.groupindex:
        # Joined with other recognizers' patterns, its group names could clash.
        raise ValueError("a pattern with a `start` may not name its groups: use (?:…)")


def _scannable(patterns: Sequence[tuple[str, Pattern]]) -> str:
    """One regex scanning for `patterns`, each ended by an empty group named after it (closed
    last, so `lastgroup` names the pattern and where it ends). The patterns bound to a kind
    of start share one branch: that start's character class first — the scan jumps between
    such characters — then, inside a lookbehind, the patterns matched from there."""
    branches = [f"(?:{p.regex})(?P<{name}>)" for name, p in patterns if p.start == "any"]
    for kind, (first, not_after, then) in STARTS.items():
        bound = "|".join(f"(?:{p.regex})(?P<{name}>)" for name, p in patterns if p.start == kind)
        if bound:
            branches.append(f"{first}(?<!{not_after}{first}){then}(?<=(?={bound}){first})")
    return "|".join(branches)


class PatternSet:
    """Pattern recognizers run together over a text. The patterns bound to a kind of start
    (`STARTS`) are joined, across recognizers, into one regex per kind that jumps from one
    such start to the next and tries them all there; where one matches, the later ones are
    tried at the same place too, so no recognizer hides another. Each recognizer's patterns
    that may start anywhere are scanned for on their own.
    """

    def __init__(self, recognizers: Sequence[PatternRecognizer]) -> None:
        self.recognizers = tuple(recognizers)
        self._kinds = [_StartKind(kind, self.recognizers) for kind in STARTS]
        self._kinds = [kind for kind in self._kinds if kind.owners]
        self._scanned = [r for r in self.recognizers if r.scans]
        self._gated = [r for r in self.recognizers if r.requires]
        self._everyone = {id(r) for r in self.recognizers}
        # The recognizers reading only after a context word: whether a text holds one of
        # their words is found for all of them in one pass of an Aho-Corasick automaton
        # over the case-folded text (as `context_in` would find it, recognizer by recognizer).
        self._worded = [r for r in self._scanned if r.context_required and r.context]
        self._words = _automaton(self._worded)

    def analyze(self, text: str) -> list[Finding]:
        refused = {id(r) for r in self._gated if not r.applies(text)}
        if self._words is not None:
            present = self.context_present(text)
            refused.update(id(r) for r in self._worded if id(r) not in present)
        applying = [r for r in self._scanned if id(r) not in refused]
        found: list[Finding] = []
        for recognizer in applying:
            for start, end, name in recognizer.matches_anywhere(text, context_seen=True):
                made = recognizer.finding(text, start, end, name)
                if made is not None:
                    found.append(made)
        if self._kinds:
            ids = self._everyone - refused if refused else self._everyone
            for kind in self._kinds:
                found.extend(kind.findings(text, ids))
        return found

    def context_present(self, text: str) -> set[int]:
        """The ids of the recognizers needing a context word that have one in `text`."""
        present: set[int] = set()
        if self._words is not None:
            for _, owners in self._words.iter(text.casefold()):
                present.update(owners)
        return present


def _automaton(recognizers: Sequence[PatternRecognizer]) -> Any:
    """An automaton finding the recognizers' case-folded context words, each word's value
    the ids of the recognizers it belongs to (None for no recognizers)."""
    owners: dict[str, set[int]] = {}
    for recognizer in recognizers:
        for word in recognizer.context:
            owners.setdefault(word.casefold(), set()).add(id(recognizer))
    if not owners:
        return None
    automaton = ahocorasick.Automaton()
    for word, ids in owners.items():
        automaton.add_word(word, frozenset(ids))
    automaton.make_automaton()
    return automaton


class _StartKind:
    """The patterns of many recognizers that begin at one kind of start, as one regex: at
    such a start, a lookahead holding every pattern (each closed by an empty group named
    after its index, so `lastgroup` says which matched and where it ends)."""

    def __init__(self, kind: str, recognizers: Sequence[PatternRecognizer]) -> None:
        first, not_after, then = STARTS[kind]
        alternatives: list[str] = []
        self.owners: list[tuple[PatternRecognizer, str]] = []
        for recognizer in recognizers:
            flag = "(?i:" if recognizer.ignore_case else "(?:"
            for group, pattern in recognizer.bound:
                if pattern.start == kind:
                    alternatives.append(f"{flag}{pattern.regex})(?P<_{len(alternatives)}>)")
                    self.owners.append((recognizer, group))
        head = f"{first}(?<!{not_after}{first}){then}"
        # chains[k]: alternatives k, k+1, … (the later ones, where one matched)
        self.chains = [
            re.compile(f"{head}(?<=(?={'|'.join(alternatives[k:])}){first})")
            for k in range(len(alternatives))
        ]

    def findings(self, text: str, applying: set[int]) -> Iterator[Finding]:
        chains, owners = self.chains, self.owners
        # As a scan by each pattern alone would: no match of a pattern starts inside its
        # previous match (a run of 50,000 spaced digits is not 50,000 card candidates).
        busy_until = [0] * len(owners)
        match = chains[0].search(text)
        while match is not None:
            start = match.start()
            while match is not None:
                name = match.lastgroup or "_0"
                index = int(name[1:])
                recognizer, group = owners[index]
                if start >= busy_until[index] and id(recognizer) in applying:
                    busy_until[index] = end = match.start(name)
                    made = recognizer.finding(text, start, end, group)
                    if made is not None:
                        yield made
                match = chains[index + 1].match(text, start) if index + 1 < len(chains) else None
            match = chains[0].search(text, start + 1)


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
            start, end = match.span("w")
            score = self.score
            if has_context(text, start, self._context):
                score = min(1.0, score + self.context_score)
            yield Finding(start, end, self.entity, score, self.name)
