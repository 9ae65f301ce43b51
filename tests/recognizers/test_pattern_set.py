"""Patterns bound to a kind of start are tried together, only there, and find what a scan by
each pattern alone finds; overlaps are resolved in linear time; a megabyte of hostile text
is read in bounded time."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import pytest

from lawful.recognizers.analyzer import Analyzer, resolve_overlaps
from lawful.recognizers.recognizers import (
    STARTS,
    Finding,
    Pattern,
    PatternRecognizer,
    PatternSet,
    Recognizer,
)
from lawful.recognizers.registry import (
    RecognizerError,
    installed_recognizers,
    recognizers_from_yaml,
)

TEXTS = [
    "Ticket 88231 opened 2024-03-05. Customer Emily Johnson (emily.j@example.com) called from "
    "+44 20 7946 0958 about card 4111 1111 1111 1111; refund to IBAN GB82 WEST 1234 5698 7654 32 "
    "from IP 192.168.1.20. Born on 12/03/1985, SSN 536-90-4399, NI number AB 12 34 56 C.",
    "Bonjour, je suis Camille Dubois, née le 3 mars 1990, NIR 2 95 10 99 126 111 93, au 06 12 34 "
    "56 78. J'habite au 12 rue de la Paix, 75002 Paris. DNI 54362315K, NIE X2482300W, CF "
    "RCCMNL83S18D969H.",
    "Καλησπέρα, είμαι ο Γιώργος Παπαδόπουλος, γεννήθηκα 5 Μαΐου 1980, ΑΜΚΑ 01013099997, ΑΦΜ "
    "094259216, τηλ 2310 123456, Οδός Ερμού 25, Ερμού 25, 546 24 Θεσσαλονίκη.",
    "order 4111111111111112 then 41111111111111111111 and 1.2.3.4.5 or 10.0.0.1. and SW1A 1AA, "
    "CA 94105-1234, EL094259216, 2001:db8::1, 4411 Sunset Boulevard Apt. 3, 221B Baker Street",
]


def _scanned_alone(recognizer: PatternRecognizer) -> PatternRecognizer:
    """The same recognizer with every pattern scanned for anywhere, its start written as a
    guard in the regex: what the analyzer did before patterns were grouped by start."""
    patterns = []
    for pattern in recognizer.patterns:
        if pattern.start == "any":
            patterns.append(pattern)
            continue
        first, not_after, then = STARTS[pattern.start]
        guard = f"(?<!{not_after})(?={first}{then})"
        patterns.append(Pattern(f"{guard}(?:{pattern.regex})", pattern.score))
    fields = {f.name: getattr(recognizer, f.name) for f in dataclasses.fields(recognizer) if f.init}
    return PatternRecognizer(**{**fields, "patterns": patterns})


def _spans(analyzer: Analyzer, text: str) -> list[tuple[int, int, str, str]]:
    return [(f.start, f.end, f.entity, f.recognizer) for f in analyzer.analyze(text)]


def test_patterns_tried_at_their_starts_find_what_each_pattern_scanned_alone_finds() -> None:
    builtins = installed_recognizers()
    alone: list[Recognizer] = [
        _scanned_alone(r) if isinstance(r, PatternRecognizer) else r for r in builtins
    ]
    grouped, plain = Analyzer(builtins), Analyzer(alone)
    for text in TEXTS:
        assert _spans(grouped, text) == _spans(plain, text)
    entities = {f.entity for text in TEXTS for f in grouped.analyze(text)}
    assert {"CREDIT_CARD", "IBAN", "FR_NIR", "GR_AMKA", "GR_AFM", "IT_FISCAL_CODE"} <= entities


def test_two_recognizers_matching_at_one_run_of_digits_are_both_reported() -> None:
    # Both match where "12345678901" begins: the first alternative must not hide the second.
    eleven = PatternRecognizer("eleven", "ELEVEN", [Pattern(r"\d{11}", 0.9, "digits")])
    five = PatternRecognizer("five", "FIVE", [Pattern(r"\d{5}", 0.6, "digits")])
    found = PatternSet([eleven, five]).analyze("ref 12345678901.")
    assert sorted((f.recognizer, f.start, f.end) for f in found) == [
        ("eleven", 4, 15),
        ("five", 4, 9),
    ]


def test_a_match_its_validator_refuses_leaves_the_place_to_the_next_recognizer() -> None:
    never = PatternRecognizer(
        "never", "NEVER", [Pattern(r"\d{4}", 1.0, "digits")], validator=lambda _: False
    )
    year = PatternRecognizer("year", "YEAR", [Pattern(r"(?:19|20)\d\d", 0.7, "digits")])
    found = Analyzer([never, year]).analyze("in 1987")
    assert [(f.recognizer, f.start) for f in found] == [("year", 3)]


def test_a_capital_bound_pattern_is_tried_only_where_a_word_begins_with_a_capital() -> None:
    code = PatternRecognizer("code", "CODE", [Pattern(r"[A-Z]{2}\d{3}", 0.9, "capital")])
    found = PatternSet([code]).analyze("AB123 xAB123 ab123 (CD456)")
    assert [(f.start, f.end) for f in found] == [(0, 5), (20, 25)]


def test_a_yaml_pattern_with_an_unknown_start_says_which_line_and_the_choices(
    tmp_path: Path,
) -> None:
    source = tmp_path / "mine.yaml"
    source.write_text(
        "recognizers:\n  - name: badge\n    entity: BADGE\n"
        "    patterns: [{regex: 'B\\d{6}', score: 0.9, start: letters}]\n",
        encoding="utf-8",
    )
    with pytest.raises(RecognizerError, match=r"mine\.yaml:2: `patterns\.0\.start`: .*'digits'"):
        recognizers_from_yaml(source)


def test_overlaps_among_a_hundred_thousand_findings_keep_the_best_of_each_place() -> None:
    many = [Finding(i, i + 3, "A", 0.6, "a") for i in range(0, 300_000, 2)]
    many += [Finding(i, i + 2, "B", 0.9, "b") for i in range(1, 300_000, 6)]
    kept = resolve_overlaps(many)
    assert all(x.end <= y.start for x, y in pairwise(kept))
    assert {f.entity for f in kept if f.start % 6 == 1} == {"B"}
    assert len(kept) == 100_000  # per six characters: a B, and the one A that fits beside it


HOSTILE = """
from lawful.recognizers.analyzer import Analyzer
parts = [
    "7" * 200_000, "1 2 3 4 5 6 7 8 9 0 " * 5_000, "@" * 50_000 + "a@" * 25_000,
    "a@b.co " * 15_000, "Aa Bb Cc John Smith " * 5_000, "1." * 50_000,
    ":" * 20_000 + "ab:cd:" * 8_000, "+3" * 30_000 + "(0" * 20_000,
    "Οδός Ερμού " * 8_000, "born 01/01/1990 " * 6_000,
]
text = "".join(parts)
assert len(text) > 1_000_000
found = Analyzer().analyze(text)
print(sum(f.entity == "EMAIL" for f in found), sum(f.entity == "DATE_OF_BIRTH" for f in found))
"""


def test_a_megabyte_of_digit_runs_at_signs_and_capitalised_words_is_read_in_bounded_time() -> None:
    # A few seconds here; a pattern that backtracks without bound, or an overlap resolution
    # quadratic in the findings (15,000 emails, 6,000 dates), would take hours.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-c", HOSTILE], env=env, capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["15000", "6000"]


@pytest.mark.parametrize(
    ("number", "region"),
    [
        ("06 12 34 56 78", "FR"),
        ("01 42 03 73 40", "FR"),
        ("2310 123456", "GR"),
        ("6912345678", "GR"),
        ("020 7946 0958", "GB"),
        ("1 650 253 0000", "US"),
        ("650-253-0000", "US"),
        ("612 345 678", "ES"),
        ("06 6982 1234", "IT"),
        ("312 345 6789", "IT"),
        ("030 123456", "DE"),
        ("06 12 34", "FR"),
        ("2310 12345", "GR"),
        ("150-253-0000", "US"),
    ],
)
def test_a_national_number_is_judged_as_the_phone_library_parsing_it_judges_it(
    number: str, region: str
) -> None:
    import phonenumbers

    from lawful.recognizers.phone_numbers import _valid_national

    parsed = phonenumbers.is_valid_number(phonenumbers.parse(number, region))
    assert _valid_national("".join(c for c in number if c.isdigit()), region) is parsed


@pytest.mark.parametrize(
    "number",
    ["+33 6 12 34 56 78", "+33 (0)1 83 41 77 76", "+44 20 7946 0958", "+30 2310 123456",
     "+1 650-253-0000", "+39 06 6982 1234", "+800 1234 5678", "+30 2310 12", "+1 150-253-0000"],
)  # fmt: skip
def test_an_international_number_the_fast_check_accepts_is_one_the_library_accepts(
    number: str,
) -> None:
    import phonenumbers

    from lawful.recognizers.phone_numbers import _valid_international

    fast = _valid_international("".join(c for c in number if c.isdigit()))
    assert not fast or phonenumbers.is_valid_number(phonenumbers.parse(number, None))
    assert fast is (number not in {"+800 1234 5678", "+30 2310 12", "+1 150-253-0000"})


def test_an_ip_address_ending_a_sentence_is_found_and_a_version_number_is_not() -> None:
    found = Analyzer().analyze("Last login from 192.209.35.1. Agent: Chrome/120.0.0.0.")
    assert [(f.entity, f.start, f.end) for f in found] == [("IP_ADDRESS", 16, 28)]


def test_a_pattern_with_a_start_and_named_groups_is_refused_with_its_line(tmp_path: Path) -> None:
    source = tmp_path / "mine.yaml"
    source.write_text(
        "recognizers:\n  - name: ok\n    entity: OK\n    words: [a]\n"
        "  - name: year\n    entity: YEAR\n"
        "    patterns: [{regex: '(?P<year>19\\d\\d)', score: 0.9, start: digits}]\n",
        encoding="utf-8",
    )
    with pytest.raises(RecognizerError, match=r"mine\.yaml:5: .* may not name its groups"):
        recognizers_from_yaml(source)
