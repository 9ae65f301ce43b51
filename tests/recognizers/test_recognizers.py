"""Each recognizer finds real identifiers and ignores look-alikes whose check digits fail.

Valid examples are published ones (python-stdnum's and the issuers' documentation), so the
validators are checked against numbers computed elsewhere, not against themselves.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from lawful.recognizers import registry
from lawful.recognizers.analyzer import Analyzer
from lawful.recognizers.registry import (
    RecognizerError,
    installed_recognizers,
    recognizers_from_yaml,
)

CASES = [
    # (entity, text with a valid one, the same with a wrong check digit or rule)
    ("EMAIL", "write to ana.perez@example.com today", "write to ana.perez@ today"),
    ("PHONE_NUMBER", "call +30 2310 123456 now", "call +30 2310 12 now"),
    ("PHONE_NUMBER", "appelez le 06 12 34 56 78", "appelez le 06 12 34"),
    ("PHONE_NUMBER", "call +1 650-253-0000", "call +1 150-253-0000"),
    ("IBAN", "IBAN GB82 WEST 1234 5698 7654 32.", "IBAN GB82 WEST 1234 5698 7654 33."),
    ("CREDIT_CARD", "card 4111 1111 1111 1111", "card 4111 1111 1111 1112"),
    ("IP_ADDRESS", "from 192.168.1.20 at noon", "from 999.168.1.20 at noon"),
    ("IP_ADDRESS", "from 2001:db8::1 at noon", "from 2001:db8::1::2 at noon"),
    ("FR_NIR", "NIR 2 95 10 99 126 111 93", "NIR 2 95 10 99 126 111 94"),
    ("FR_NIR", "NIR 2 53 07 2B 073 004 70", "NIR 2 53 07 2A 073 004 70"),
    ("GR_AMKA", "ΑΜΚΑ 01013099997", "ΑΜΚΑ 01013099999"),
    ("GR_AFM", "ΑΦΜ 094259216", "ΑΦΜ 094259217"),
    ("ES_DNI", "DNI 54362315K", "DNI 54362315Z"),
    ("ES_DNI", "NIE X2482300W", "NIE X2482300A"),
    ("IT_FISCAL_CODE", "CF RCCMNL83S18D969H", "CF RCCMNL83S18D969A"),
    ("US_SSN", "SSN 536-90-4399", "SSN 666-90-4399"),
    ("US_SSN", "SSN 536-90-4399", "SSN 536-00-4399"),
    ("UK_NINO", "NI number AB 12 34 56 C", "NI number BG 12 34 56 A"),
    ("DATE_OF_BIRTH", "born on 12/03/1985", "meeting on 12/03/1985"),
    ("ADDRESS", "lives at 221B Baker Street", "lives at 221B"),
    ("PERSON", "Dear Mr John Smith,", "Dear customer,"),
]


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


def _entities(analyzer: Analyzer, text: str) -> set[str]:
    return {f.entity for f in analyzer.analyze(text)}


@pytest.mark.parametrize(("entity", "valid", "invalid"), CASES)
def test_each_recognizer_reports_valid_values_and_not_those_failing_their_check(
    analyzer: Analyzer, entity: str, valid: str, invalid: str
) -> None:
    assert entity in _entities(analyzer, valid)
    assert entity not in _entities(analyzer, invalid)


def test_a_finding_has_its_span_entity_score_and_recognizer(analyzer: Analyzer) -> None:
    text = "mail: ana.perez@example.com"
    [finding] = analyzer.analyze(text)
    assert text[finding.start : finding.end] == "ana.perez@example.com"
    assert (finding.entity, finding.recognizer) == ("EMAIL", "email")
    assert 0 < finding.score <= 1


def test_a_nine_digit_number_without_tax_context_is_no_tax_number(analyzer: Analyzer) -> None:
    assert "GR_AFM" not in _entities(analyzer, "order 094259216 shipped")


def test_english_french_and_greek_texts_yield_their_people_and_details(analyzer: Analyzer) -> None:
    texts = {
        "en": "Hello, this is Emily Johnson, born on March 4, 1987; reach me at emily.j@example.com "
        "or +44 20 7946 0958. I moved to 42 Oak Street.",
        "fr": "Bonjour, je suis Camille Dubois, née le 3 mars 1990, joignable au 06 12 34 56 78. "
        "J'habite au 12 rue de la Paix, 75002 Paris.",
        "el": "Καλησπέρα, είμαι ο Γιώργος Παπαδόπουλος, γεννήθηκα 5 Μαΐου 1980, τηλ 2310 123456, "
        "Οδός Ερμού 25, email g.papadopoulos@example.gr.",
    }
    expected = {"PERSON", "DATE_OF_BIRTH", "PHONE_NUMBER", "ADDRESS"}
    for language, text in texts.items():
        found = analyzer.analyze(text)
        assert expected <= {f.entity for f in found}, language
        names = [text[f.start : f.end] for f in found if f.entity == "PERSON"]
        assert names == [
            {"en": "Emily Johnson", "fr": "Camille Dubois", "el": "Γιώργος Παπαδόπουλος"}[language]
        ]


def test_overlapping_findings_keep_the_highest_score_then_the_longest(analyzer: Analyzer) -> None:
    # 4111 1111 1111 1111 also looks like a phone number: the card (checksum) wins.
    found = analyzer.analyze("card 4111 1111 1111 1111")
    assert [f.entity for f in found] == ["CREDIT_CARD"]


def test_the_analyzer_reads_a_megabyte_of_text_in_a_few_seconds(analyzer: Analyzer) -> None:
    text = (
        "Ticket 4411: the customer Emily Johnson (emily.j@example.com, +44 20 7946 0958) asks "
        "about invoice 2024-0113 and says her colleague will call back tomorrow. " * 5500
    )
    start = time.perf_counter()
    found = analyzer.analyze(text)
    assert time.perf_counter() - start < 20  # shared 2-core machine: a loose bound
    assert sum(f.entity == "EMAIL" for f in found) == 5500


def test_a_recognizer_written_in_yaml_is_loaded_with_its_validator_and_words(
    tmp_path: Path,
) -> None:
    source = tmp_path / "mine.yaml"
    source.write_text(
        "recognizers:\n"
        "  - name: employee_badge\n"
        "    entity: BADGE\n"
        "    validator: luhn\n"
        "    patterns: [{regex: 'B-\\d{16}', score: 0.9}]\n"
        "  - name: health_words\n"
        "    entity: HEALTH\n"
        "    words: [diabetes, asthme, διαβήτης]\n",
        encoding="utf-8",
    )
    analyzer = Analyzer(recognizers_from_yaml(source))
    found = analyzer.analyze("badge B-4111111111111111 (not B-4111111111111112), has Diabetes")
    assert [(f.entity, f.recognizer) for f in found] == [
        ("BADGE", "employee_badge"),
        ("HEALTH", "health_words"),
    ]


def test_a_bad_recognizer_file_says_which_line_and_what_to_fix(tmp_path: Path) -> None:
    source = tmp_path / "bad.yaml"
    source.write_text(
        "recognizers:\n  - name: ok\n    entity: OK\n    words: [a]\n"
        "  - name: broken\n    entity: BROKEN\n    validator: mod11\n    patterns: [{regex: 'x', score: 1}]\n",
        encoding="utf-8",
    )
    with pytest.raises(RecognizerError, match=r"bad\.yaml:5: unknown validator `mod11` \(known: "):
        recognizers_from_yaml(source)


def test_a_third_party_package_adds_recognizers_through_the_entry_point_group(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A real installed distribution (a dist-info folder on sys.path), as pip would leave it.
    (tmp_path / "acme_pii.py").write_text(
        "from lawful.recognizers.recognizers import Pattern, PatternRecognizer\n"
        "class AcmeContract(PatternRecognizer):\n"
        "    def __init__(self):\n"
        "        super().__init__('acme_contract', 'ACME_CONTRACT', [Pattern(r'ACME-\\d{6}', 0.9)])\n",
        encoding="utf-8",
    )
    dist = tmp_path / "acme_pii-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-pii\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[lawful.recognizers]\nacme = acme_pii:AcmeContract\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    installed_recognizers.cache_clear()
    try:
        names = {r.name for r in installed_recognizers()}
        found = Analyzer().analyze("contract ACME-123456 for ana@example.com")
    finally:
        sys.modules.pop("acme_pii", None)
        installed_recognizers.cache_clear()
    assert {"acme_contract", "email", "phone", "person", "iban"} <= names
    assert [f.entity for f in found] == ["ACME_CONTRACT", "EMAIL"]
    assert registry.GROUP == "lawful.recognizers"


def test_version_numbers_and_timestamps_are_no_ip_addresses_or_phone_numbers(
    analyzer: Analyzer,
) -> None:
    agent = "Mozilla/5.0 (X11; rv:1.9.6.20) Gecko/2010-08-05 01:22 Chrome/120.0.0.0 on 05/08/2010"
    assert analyzer.analyze(agent) == []


def test_one_analyzer_serves_twenty_threads_at_once_with_the_same_findings() -> None:
    from concurrent.futures import ThreadPoolExecutor

    installed_recognizers.cache_clear()  # the registry is loaded by the racing threads
    texts = [
        f"Dear Mr John Smith, write to js{i}@example.com or +33 6 12 34 56 7{i % 10}"
        for i in range(40)
    ]
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(
            pool.map(lambda t: [(f.entity, f.start, f.end) for f in Analyzer().analyze(t)], texts)
        )
    expected = [[(f.entity, f.start, f.end) for f in Analyzer().analyze(t)] for t in texts]
    assert results == expected
    assert all({"PERSON", "EMAIL", "PHONE_NUMBER"} == {e for e, _, _ in r} for r in results)


def test_a_broken_third_party_recognizer_stops_scan_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from lawful.cli import app

    dist = tmp_path / "broken_pii-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-pii\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[lawful.recognizers]\nbroken = no_such_module:Thing\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("LAWFUL_SCAN_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    (tmp_path / "empty.db").touch()
    installed_recognizers.cache_clear()
    try:
        result = CliRunner().invoke(app, ["scan", "--url-env", "LAWFUL_SCAN_URL"])
    finally:
        installed_recognizers.cache_clear()
    assert result.exit_code == 1
    assert (
        "the recognizer entry point `broken` (no_such_module:Thing) could not be imported"
        in result.output
    )
    assert "Traceback" not in result.output
