"""Street addresses in their common forms, and places or dates named after people."""

from __future__ import annotations

import pytest

from lawful.recognizers.analyzer import Analyzer


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


def _found(analyzer: Analyzer, text: str) -> list[tuple[str, str]]:
    return [(text[f.start : f.end], f.entity) for f in analyzer.analyze(text)]


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("Home: 809 Justin Hills Suite 364.", "809 Justin Hills Suite 364"),
        ("Ship it to 42 Compton Rapids Apt. 688 today", "42 Compton Rapids Apt. 688"),
        ("Office at 1600 Pennsylvania Ave, Washington", "1600 Pennsylvania Ave"),
        ("Domicile : 35, boulevard Eugène Bègue, 75011 Paris", "35, boulevard Eugène Bègue"),
        ("J'habite rue de Thibault depuis mars", "rue de Thibault"),
        ("Adresse : chemin Jean Weiss, 38402 Crolles", "chemin Jean Weiss"),
        ("Διεύθυνση: Καλογερικού 82, Αθήνα", "Καλογερικού 82"),
        ("Μένει στην Αναγεννήσεως 7 στο Μαρούσι", "Αναγεννήσεως 7"),
        ("Γραφείο: Ερμού 25-27, Αθήνα", "Ερμού 25-27"),
    ],
)
def test_street_addresses_are_found_in_their_english_french_and_greek_forms(
    analyzer: Analyzer, text: str, address: str
) -> None:
    assert (address, "ADDRESS") in _found(analyzer, text)


@pytest.mark.parametrize(
    "text",
    [
        "Domicile : 24, boulevard Caroline Ramos, 94314 Saint-Denis",  # a street named after her
        "He lives at 6107 Paul Mills, Jasonmouth",
        "Le colis part de 38402 Collin demain",  # a town after its postal code
        "Livraison à Saint Camille-les-Bains",
        "Bureau de Leroux-sur-Daniel",
        "Ταχυδρομείο: 304 77 Σπάρτη",
        "Moved to Lake Christopher last year",
        "The ticket was opened on May 10, 2023 and closed on 3 June 2023.",
    ],
)
def test_places_and_dates_named_after_people_are_no_people(analyzer: Analyzer, text: str) -> None:
    assert [found for found in _found(analyzer, text) if found[1] == "PERSON"] == []


def test_people_beside_those_places_are_still_found(analyzer: Analyzer) -> None:
    text = "Marie Dupont, 24 boulevard Caroline Ramos, 94314 Saint-Denis; May Smith called."
    people = [name for name, entity in _found(analyzer, text) if entity == "PERSON"]
    assert "Marie Dupont" in people
    assert ("24 boulevard Caroline Ramos", "ADDRESS") in _found(analyzer, text)
