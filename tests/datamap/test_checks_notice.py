"""The checks for what the notice and the records must say (L030–L035), on hostile maps:
blank and invisible descriptions, unicode, a purpose without its `provision`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from lawful.datamap.checks import check_datamap
from lawful.datamap.checks_notice import is_blank
from lawful.datamap.loader import load_datamap
from lawful.datamap.problems import DataMapError, Problem

FIXTURES = Path(__file__).parent / "fixtures"
WriteCase = Callable[[str], Path]


def _problems(path: Path) -> list[Problem]:
    return check_datamap(load_datamap(path))


def found(path: Path) -> list[str]:
    return [
        f"{p.position.file.name}:{p.position.line}:{p.position.col} {p.code}"
        for p in _problems(path)
        if p.position is not None
    ]


def test_trackers_with_empty_or_invisible_descriptions_are_reported(
    write_case: WriteCase,
) -> None:
    path = write_case(
        """
        trackers:
          missing: {name: a, provider: Us, category: strictly_necessary, lifetime: P1D}
          empty: {name: b, provider: Us, category: strictly_necessary, lifetime: P1D, description: ""}
          spaces: {name: c, provider: Us, category: strictly_necessary, lifetime: P1D, description: "\\u3000 \\t"}
          zero_width: {name: d, provider: Us, category: strictly_necessary, lifetime: P1D, description: "\\u200b\\ufeff"}
          described: {name: "é🍪", provider: Nous, category: strictly_necessary, lifetime: P1D, description: "Garde la session — 会话 🍪"}
        """
    )
    # Each points at the blank value (column of its opening quote), or at the tracker.
    assert found(path) == [
        "case.yaml:3:3 L031",
        "case.yaml:4:92 L031",
        "case.yaml:5:93 L031",
        "case.yaml:6:97 L031",
    ]
    message = next(p for p in _problems(path) if "`zero_width`" in p.message)
    assert "add `description:`" in message.hint


def test_a_purpose_missing_its_provision_is_reported_at_the_purpose(
    write_case: WriteCase,
) -> None:
    path = write_case(
        """
        purposes:
          sourcing:
            name: Find candidates
            legal_basis: contract
            subjects: [applicant]
        """
    )
    assert found(path) == ["case.yaml:3:3 L030"]
    [problem] = _problems(path)
    assert "Art. 13(2)(e)" in problem.hint
    assert "`sourcing`" in problem.message


def test_a_blank_consequence_is_reported_at_the_consequence(write_case: WriteCase) -> None:
    path = write_case(
        """
        purposes:
          sourcing:
            name: Find candidates
            legal_basis: contract
            provision: {requirement: contractual, obliged: true, consequence: "\\u2003"}
        """
    )
    assert found(path) == ["case.yaml:6:71 L030"]


def test_a_client_purpose_needs_no_provision(write_case: WriteCase) -> None:
    path = write_case(
        """
        purposes:
          client_care:
            name: Care for a client's customers
            controller: client:acme
        """
    )
    assert "L030" not in [p.code for p in _problems(path)]


def test_a_provision_with_an_unknown_requirement_is_refused_with_the_choices(
    write_case: WriteCase,
) -> None:
    path = write_case(
        """
        purposes:
          sourcing:
            name: Find candidates
            legal_basis: contract
            provision: {requirement: statutory-ish, obliged: true, consequence: No job.}
        """
    )
    with pytest.raises(DataMapError) as error:
        load_datamap(path)
    text = str(error.value)
    assert "case.yaml:6" in text
    assert "statutory" in text
    assert "contract_entry" in text


def _org_case(tmp_path: Path, change: Callable[[dict[str, object]], object]) -> Path:
    raw = yaml.safe_load((FIXTURES / "base.yaml").read_text(encoding="utf-8"))
    change(raw["organization"])
    path = tmp_path / "org.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_a_map_without_security_measures_is_reported(tmp_path: Path) -> None:
    path = _org_case(tmp_path, lambda org: org.pop("security_measures"))
    assert [p.code for p in _problems(path)] == ["L033"]


def test_bare_or_blank_security_measures_are_reported_one_by_one(tmp_path: Path) -> None:
    def measures(org: dict[str, object]) -> None:
        org["security_measures"] = [
            "Chiffrement AES-256",
            {"name": "Pare-feu", "description": "\u00a0\u200b"},
            {"name": "Sauvegardes", "description": "Chiffrées, hors site, testées chaque mois ✓"},
        ]

    path = _org_case(tmp_path, measures)
    problems = _problems(path)
    assert [p.code for p in problems] == ["L032", "L032"]
    assert "(Chiffrement AES-256)" in problems[0].message
    assert "(Pare-feu)" in problems[1].message
    assert problems[0].position is not None
    assert problems[1].position is not None
    assert problems[0].position.line < problems[1].position.line


def test_a_ccpa_map_must_say_how_do_not_track_is_answered(tmp_path: Path) -> None:
    def ccpa(org: dict[str, object]) -> None:
        org["jurisdictions"] = ["gdpr", "fr", "ccpa"]

    path = _org_case(tmp_path, ccpa)
    assert [p.code for p in _problems(path)] == ["L034"]

    def answered(org: dict[str, object]) -> None:
        ccpa(org)
        org["browser_signals"] = {"do_not_track": "not_honoured"}

    assert _problems(_org_case(tmp_path, answered)) == []


def test_a_map_that_says_it_does_not_sell_while_a_purpose_sells_is_reported(
    write_case: WriteCase,
) -> None:
    path = write_case(
        """
        purposes:
          lists:
            name: Rent our mailing list
            legal_basis: consent
            consent: {capture: [web_form]}
            provision: {requirement: none, obliged: false, consequence: Nothing.}
            sale: true
        """
    )
    [problem] = [p for p in _problems(path) if p.code == "L035"]
    assert "purpose `lists`" in problem.message


def test_is_blank_sees_through_invisible_characters() -> None:
    assert is_blank(None)
    assert is_blank("")
    assert is_blank(" \u3000\u200b\ufeff\u2028\t")
    assert not is_blank("·")
    assert not is_blank("会话")
    assert not is_blank("\u200bok")
