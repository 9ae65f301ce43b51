"""Run every recognizer over a text and keep the best finding where they overlap."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence

from lawful.discovery.recognizers import Finding, Recognizer
from lawful.discovery.registry import installed_recognizers


class Analyzer:
    """The recognizers given (by default every installed one), run over texts.

    Where findings overlap, the highest score wins, then the longest span; findings below
    `min_score` are dropped.
    """

    def __init__(
        self, recognizers: Sequence[Recognizer] | None = None, *, min_score: float = 0.5
    ) -> None:
        self.recognizers = tuple(installed_recognizers() if recognizers is None else recognizers)
        self.min_score = min_score

    def analyze(self, text: str) -> list[Finding]:
        """The findings in `text`, without overlaps, in text order."""
        found = [
            finding
            for recognizer in self.recognizers
            for finding in recognizer.analyze(text)
            if finding.score >= self.min_score
        ]
        return resolve_overlaps(found)


def resolve_overlaps(findings: Iterable[Finding]) -> list[Finding]:
    """Keep, greedily, the best of overlapping findings: highest score, then longest span,
    then the earliest."""
    ranked = sorted(findings, key=lambda f: (-f.score, f.start - f.end, f.start))
    starts: list[int] = []
    kept: list[Finding] = []
    for finding in ranked:
        i = bisect.bisect_right(starts, finding.start)
        before = kept[i - 1] if i else None
        after = kept[i] if i < len(kept) else None
        if (before and before.end > finding.start) or (after and after.start < finding.end):
            continue
        starts.insert(i, finding.start)
        kept.insert(i, finding)
    return kept
