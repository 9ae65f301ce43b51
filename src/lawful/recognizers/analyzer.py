"""Run every recognizer over a text and keep the best finding where they overlap."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from operator import attrgetter

from lawful.recognizers.recognizers import (
    CONTEXT_WINDOW,
    Finding,
    PatternRecognizer,
    PatternSet,
    Recognizer,
)
from lawful.recognizers.registry import installed_recognizers

# Between two texts analysed together: no pattern matches a NUL, and context words are looked
# for at most CONTEXT_WINDOW characters before a match (windows after them are twice that).
SEPARATOR = "\x00" * (2 * CONTEXT_WINDOW + 8)
_BY_START = attrgetter("start")


class Analyzer:
    """The recognizers given (by default every installed one), run over texts.

    Pattern recognizers (those that keep `PatternRecognizer.analyze`) run together, as one
    `PatternSet`, so the patterns bound to digits are tried once per run of digits for all of
    them. Where findings overlap, the highest score wins, then the longest span; findings
    below `min_score` are dropped.
    """

    def __init__(
        self, recognizers: Sequence[Recognizer] | None = None, *, min_score: float = 0.5
    ) -> None:
        self.recognizers = tuple(installed_recognizers() if recognizers is None else recognizers)
        self.min_score = min_score
        patterns = [r for r in self.recognizers if _plain_patterns(r)]
        self._patterns = PatternSet(patterns)  # type: ignore[arg-type]
        self._others = tuple(r for r in self.recognizers if not _plain_patterns(r))

    def analyze(self, text: str) -> list[Finding]:
        """The findings in `text`, without overlaps, in text order."""
        found = [f for f in self._patterns.analyze(text) if f.score >= self.min_score]
        for recognizer in self._others:
            found.extend(f for f in recognizer.analyze(text) if f.score >= self.min_score)
        return resolve_overlaps(found, len(text))

    def analyze_many(self, texts: Sequence[str]) -> list[list[Finding]]:
        """The findings of each text, as `analyze` gives them, read in one pass: the texts
        are joined with NULs between them (`SEPARATOR`), so each recognizer scans once for
        all of them — a column's sampled values, a page of tickets. No built-in pattern
        matches a NUL; the texts a match of your own would cross are read again alone."""
        if len(texts) < 2:
            return [self.analyze(text) for text in texts]
        starts, position = [], 0
        for text in texts:
            starts.append(position)
            position += len(text) + len(SEPARATOR)
        out: list[list[Finding]] = [[] for _ in texts]
        again: set[int] = set()
        for f in self.analyze(SEPARATOR.join(texts)):
            index = bisect_right(starts, f.start) - 1
            base = starts[index]
            if f.end - base <= len(texts[index]):
                out[index].append(
                    Finding(f.start - base, f.end - base, f.entity, f.score, f.recognizer)
                )
            else:
                again.update(range(index, bisect_right(starts, f.end - 1)))
        for index in again:
            out[index] = self.analyze(texts[index])
        return out


def _plain_patterns(recognizer: Recognizer) -> bool:
    return (
        isinstance(recognizer, PatternRecognizer)
        and type(recognizer).analyze is PatternRecognizer.analyze
    )


def resolve_overlaps(findings: Iterable[Finding], length: int | None = None) -> list[Finding]:
    """Keep, greedily, the best of overlapping findings: highest score, then longest span,
    then the earliest. The findings are cut into clusters (a cluster ends where no finding
    reaches past it); a finding alone in its cluster is kept as it is, and within a cluster
    the greedy choice marks what is taken with a byte per character — linear in the
    characters covered, so a text with a million findings is no slower per finding than a
    text with ten. `length` is accepted for callers that know the text's length."""
    in_order = sorted(findings, key=_BY_START)
    kept: list[Finding] = []
    cluster: list[Finding] = []
    reach = -1
    for finding in in_order:
        if cluster and finding.start >= reach:
            kept.extend(cluster if len(cluster) == 1 else _greedy(cluster))
            cluster = []
        cluster.append(finding)
        reach = max(reach, finding.end) if len(cluster) > 1 else finding.end
    if cluster:
        kept.extend(cluster if len(cluster) == 1 else _greedy(cluster))
    return kept


def _greedy(cluster: list[Finding]) -> list[Finding]:
    """The greedy choice within overlapping findings, in text order."""
    base = cluster[0].start
    ranked = sorted(cluster, key=lambda f: (-f.score, f.start - f.end, f.start))
    taken = bytearray(max(f.end for f in cluster) - base)
    kept: list[Finding] = []
    for finding in ranked:
        start, end = finding.start - base, finding.end - base
        if taken.find(1, start, end) != -1:
            continue
        taken[start:end] = b"\x01" * (end - start)
        kept.append(finding)
    kept.sort(key=_BY_START)
    return kept
