"""Person names in English, French and Greek text.

Given names and family names come from Faker's person lists for en_US, fr_FR and el_GR
(Faker is already a dependency, for the demo), read once. A name is a run of capitalised
words (one compiled regex) that starts with a known given name, or is a known name on its
own; a title (Mr, Mme, κ.) or a word such as "name"/"nom"/"όνομα" before it raises the score.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from lawful.recognizers.recognizers import Finding, context_regex, has_context

LOCALES = ("en_US", "fr_FR", "el_GR")
_UPPER = "A-ZÀ-ÖØ-ÞΑ-ΩΆΈΉΊΌΎΏ"
_WORD = rf"[{_UPPER}][\w'’]*(?:-[{_UPPER}][\w'’]*)?"
# A capital first (a class, so the scan jumps from capital to capital), not glued to a word,
# an e-mail address or an abbreviation before it.
_RUN = re.compile(
    rf"[{_UPPER}](?<![\w@.][{_UPPER}])[\w'’]*(?:-[{_UPPER}][\w'’]*)?(?:[ \t]+{_WORD}){{0,3}}(?![\w@])"
)
_SPACES = re.compile(r"[ \t]+")
# Towns are named after people (Saint-Camille, Lake Christopher, Leroux-sur-Daniel, 38402
# Collin): a name after a postal code, a town word, or joined by -sur-, -lès- … is a place.
_TOWN_WORDS = frozenset(
    {"saint", "sainte", "st", "ste", "port", "lake", "new", "west", "east", "north", "south",
     "fort", "mount", "mont", "san", "santa", "são", "άγιος", "αγία", "άγιοι", "νέα", "νέο"}
)  # fmt: skip
_AFTER_POSTAL_CODE = re.compile(r"(?:\d{5}|\d{3} \d{2}|\d{4}) $")
_JOIN = ("-sur-", "-sous-", "-lès-", "-les-", "-la-", "-le-", "-en-", "-de-", "-du-")
_JOINED_BEFORE = re.compile(r"-(?:sur|sous|lès|les|la|le|en|de|du)-$")
# Months that are given names too: "May 10", "10 June" are dates.
_MONTHS = frozenset({"april", "may", "june", "august", "avril"})
_DAY_AFTER = re.compile(r"[ \t]+\d{1,2}\b")
_DAY_BEFORE = re.compile(r"\b\d{1,2}(?:st|nd|rd|th|er)?[ \t]+$")
_CONTEXT = (
    "mr", "mrs", "ms", "miss", "dr", "m.", "mme", "mlle", "monsieur", "madame", "κ.", "κα", "κύριος",
    "κυρία", "name", "nom", "prénom", "όνομα", "επώνυμο", "dear", "cher", "chère", "αγαπητέ",
    "αγαπητή", "from", "de la part de", "signed", "called", "appelé", "contact",
)  # fmt: skip


@cache
def known_names() -> tuple[frozenset[str], frozenset[str]]:
    """(given names, family names), case-folded, from Faker's en_US, fr_FR and el_GR lists."""
    from importlib import import_module

    given: set[str] = set()
    family: set[str] = set()
    for locale in LOCALES:
        provider = import_module(f"faker.providers.person.{locale}").Provider
        for attr in ("first_names", "first_names_male", "first_names_female"):
            given.update(n.casefold() for n in getattr(provider, attr, ()))
        for attr in ("last_names", "last_names_male", "last_names_female"):
            family.update(n.casefold() for n in getattr(provider, attr, ()))
    return frozenset(given), frozenset(family - given)


class PersonNameRecognizer:
    """Capitalised runs of words that start with a known given name (or are a known name)."""

    name = "person"
    entities = ("PERSON",)

    def __init__(self) -> None:
        self._given, self._family = known_names()
        self._context = context_regex(_CONTEXT)

    def analyze(self, text: str) -> Iterator[Finding]:
        # The same run of words ("Customer", "Call summary") recurs across a text and across
        # the texts analysed together: each is read once per call (nothing kept after it).
        seen: dict[str, tuple[int, float] | None] = {}
        for match in _RUN.finditer(text):
            run = match.group()
            if run in seen:
                found = seen[run]
            else:
                found = seen[run] = self._read(run)
            if found is None:
                continue
            offset, score = found
            start = match.start() + offset
            if _placed(text, start, match.end()):
                continue
            if has_context(text, start, self._context):
                score = min(1.0, score + 0.2)
            yield Finding(start, match.end(), "PERSON", score, self.name)

    def _read(self, run: str) -> tuple[int, float] | None:
        """Where in a run of capitalised words the name begins, and its score (None: no
        name). A title or a sentence's first word may lead the run: the name starts at its
        first given name, else it is the last word alone when that is a known family name."""
        given, family = self._given, self._family
        if " " not in run and "\t" not in run:  # one word (most runs): no split needed
            key = run.casefold()
            if key in given:
                return 0, 0.6
            return (0, 0.4) if key in family else None
        words = run.split()
        first = next((i for i, w in enumerate(words) if w.casefold() in given), None)
        if first is None:
            if words[-1].casefold() not in family:
                return None
            first, score = len(words) - 1, 0.4  # a known family name alone
        else:  # as `score` says of words[first:]
            score = 0.85 if len(words) - first > 1 else 0.6
        if first > 0 and words[first - 1].casefold() in _TOWN_WORDS:
            return None
        return (_word_starts(run)[first] if first else 0), score

    def score(self, run: str) -> float:
        """0.85 for a given name followed by capitalised words, 0.6 for a known given name
        alone, 0.4 for a known family name alone (below the analyzer's threshold in text,
        enough in a column of names), else 0."""
        words = run.split()[:4]
        first = words[0].casefold()
        if first in self._given:
            return 0.85 if len(words) > 1 else 0.6
        if len(words) == 1 and first in self._family:
            return 0.4
        return 0.0


def _placed(text: str, start: int, end: int) -> bool:
    """Whether the name at text[start:end] is a place's or a date's: after a postal code,
    joined to a town's name by -sur-, -lès- …, or a month beside a day."""
    # Both rules need a space after a digit, or a hyphen, just before the name: the regexes
    # run only then.
    gap = text[start - 1] if start else ""
    if (gap == " " and start > 1 and text[start - 2].isdigit()) or gap == "-":
        before = text[max(0, start - 8) : start]
        if _AFTER_POSTAL_CODE.search(before) or _JOINED_BEFORE.search(before):
            return True
    if text.startswith(_JOIN, end):
        return True
    if text[start:end].casefold() in _MONTHS:
        return bool(
            _DAY_AFTER.match(text, end) or _DAY_BEFORE.search(text, max(0, start - 8), start)
        )
    return False


def _word_starts(run: str) -> list[int]:
    """Where each word of a run of words begins."""
    return [0] + [gap.end() for gap in _SPACES.finditer(run)]
