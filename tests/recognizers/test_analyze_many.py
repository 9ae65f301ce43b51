"""Texts analysed together find what each finds alone, and the anchor of e-mails."""

from __future__ import annotations

from lawful.recognizers.analyzer import Analyzer, resolve_overlaps
from lawful.recognizers.recognizers import Finding, Pattern, PatternRecognizer

TEXTS = [
    "Call Marie Dupont on +33 6 12 34 56 78 or marie.dupont@example.fr.",
    "",
    "born 12/03/1984",  # context word at the very start
    "Card 4111 1111 1111 1111, IBAN GB82 WEST 1234 5698 7654 32, from 192.168.0.12",
    "Ο Γιώργος Παπαδόπουλος, ΑΦΜ 090000045, Οδός Ερμού 25, 105 63 Αθήνα. He was born",
    "12/03/1984 is a date with its context word in the previous text only",
    "Mr Smith wrote from john.smith@example.com and x@y.z",
]


def test_texts_analysed_together_find_what_each_finds_alone() -> None:
    analyzer = Analyzer()
    together = analyzer.analyze_many(TEXTS)
    alone = [analyzer.analyze(text) for text in TEXTS]
    assert together == alone
    assert any(f.entity == "DATE_OF_BIRTH" for f in together[2])
    assert not any(f.entity == "DATE_OF_BIRTH" for f in together[5]), "no context leaks over"


def test_the_texts_a_match_would_cross_are_read_again_alone() -> None:
    # A pattern of one's own may match the NULs between texts: its match would cross them.
    anything = PatternRecognizer("any", "ANY", [Pattern(r"ab[^z]*cd", 1.0)])
    texts = ["xx ab", "cd yy", "ab cd", "ab zz cd"]
    found = Analyzer([anything]).analyze_many(texts)
    assert found == [[], [], [Finding(0, 5, "ANY", 1.0, "any")], []]


def test_an_email_is_found_around_its_at_sign_with_a_local_part_up_to_64_characters() -> None:
    analyzer = Analyzer()
    local = "a" * 64
    text = f"write to {local}@example.org, not to {'b' * 65}@example.org"
    emails = [text[f.start : f.end] for f in analyzer.analyze(text) if f.entity == "EMAIL"]
    assert emails == [f"{local}@example.org"]
    assert [f.entity for f in analyzer.analyze("a@b, then c.d@example.com")] == ["EMAIL"]


def test_overlapping_findings_keep_the_best_and_the_rest_stay_as_they_are() -> None:
    findings = [
        Finding(0, 5, "A", 0.5, "a"),
        Finding(3, 9, "B", 0.9, "b"),
        Finding(8, 12, "C", 0.6, "c"),
        Finding(20, 25, "D", 0.4, "d"),
    ]
    assert [f.entity for f in resolve_overlaps(findings)] == ["B", "D"]
