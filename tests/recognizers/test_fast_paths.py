"""The shortcuts give what the code they replace gave: the phone recognizer's digit count
(regexes before), the context words found for every recognizer at once (a substring test per
word before), and the analyzer finds exactly what it found without them, on generated
contact-center text."""

from __future__ import annotations

import random

from faker import Faker

from lawful.recognizers.analyzer import Analyzer
from lawful.recognizers.phone_numbers import (
    _DATE,
    _DIGIT_COUNT,
    _NOT_DIGIT,
    PhoneRecognizer,
    _digit_count_fits,
    _valid,
    _valid_international,
    _valid_national,
    only_digits,
)
from lawful.recognizers.recognizers import Finding, PatternRecognizer, PatternSet
from lawful.recognizers.registry import installed_recognizers

# Adversarial: Unicode digits (Arabic-Indic, fullwidth, superscript), no-break and thin
# spaces, tabs, a "00" split by a space, "00" prefixes at the edges of the counts.
HOSTILE = [
    "٠٦١٢٣٤٥٦٧٨",
    "０６ １２ ３４ ５６ ７８",
    "06 12 34 56 7²",
    "06\u00a012\u00a034\u00a056\u00a078",
    "06\u200912\u200934\u200956\u200978",
    "06\t12\t34\t56\t78",
    "0 0 33 6 12 34 56 78",
    "0033612345678",
    "00 33 6 12 34 56 78 99 88 77",
    "00123456789012345",
    "001234567890123456",
    "0012345",
    "123456",
    "1234567",
    "123456789012345",
    "1234567890123456",
    "+30 2310 123456",
    "(0)1 23 45 67 89",
    "+",
    "",
    "- . ( ) /",
]


def _candidates() -> list[str]:
    rng = random.Random(2026)
    out = list(HOSTILE)
    for locale in ("en_US", "fr_FR", "el_GR", "en_GB", "es_ES", "it_IT", "de_DE"):
        fake = Faker(locale)
        fake.seed_instance(2026)
        out += [fake.phone_number() for _ in range(150)]
        out += [fake.msisdn() for _ in range(20)]
        out += [fake.date(pattern=rng.choice(["%d/%m/%Y", "%Y-%m-%d %H"])) for _ in range(20)]
    out += [
        "".join(rng.choice("0123456789 -./()+") for _ in range(rng.randint(5, 22)))
        for _ in range(3000)
    ]
    return out


def _reference_score(recognizer: PhoneRecognizer, candidate: str) -> float:
    """The phone score as it was before the shortcuts (regexes throughout)."""
    raw = candidate.strip()
    if _DIGIT_COUNT.fullmatch(raw) is None or _DATE.match(raw):
        return 0.0
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    if raw.startswith("+"):
        valid = _valid_international(_NOT_DIGIT.sub("", raw)) or _valid(raw, None)
        return 0.9 if valid else 0.0
    digits = _NOT_DIGIT.sub("", raw)
    for region, shape in recognizer.regions:
        if shape.fullmatch(digits) and _valid_national(digits, region):
            return 0.75
    return 0.0


def test_the_digits_and_their_count_are_what_the_regexes_say() -> None:
    for candidate in _candidates():
        raw = candidate.strip()
        assert only_digits(raw) == _NOT_DIGIT.sub("", raw), candidate
        fits = _digit_count_fits(raw, only_digits(raw))
        assert fits == (_DIGIT_COUNT.fullmatch(raw) is not None), candidate


def test_the_phone_score_is_the_score_it_was() -> None:
    phone = PhoneRecognizer()
    scores = {}
    for candidate in _candidates():
        scores[candidate] = phone.score(candidate)
        assert scores[candidate] == _reference_score(phone, candidate), candidate
    # the set holds numbers of both kinds and refusals, so the comparison means something
    assert {0.0, 0.75, 0.9} <= set(scores.values())


# Context words in their cases, inside other words, overlapping one another, Greek capitals
# with and without accents, final sigma, a German sharp s (casefold: "ss").
WORDS = [
    "born", "Born on", "DATE OF BIRTH", "birthday", "reborn", "D.O.B.", "née le", "NÉE LE",
    "ΓΕΝΝΉΘΗΚΕ", "Γεννήθηκα", "ημερομηνία γέννησης", "ΑΦΜ", "α.φ.μ.", "tax number", "vat",
    "Straße", "tinned", "nothing", "AFM:", "Τηλ", "ssn", "AMKA",
]  # fmt: skip


def test_context_words_found_at_once_are_those_each_recognizer_finds() -> None:
    recognizers = [r for r in installed_recognizers() if isinstance(r, PatternRecognizer)]
    worded = [r for r in recognizers if r.context_required and r.context]
    assert len(worded) >= 2  # date of birth and the Greek tax number at least
    patterns = PatternSet(recognizers)
    rng = random.Random(7)
    texts = WORDS + ["", "x"] + [" ".join(rng.sample(WORDS, 4)) for _ in range(300)]
    for text in texts:
        present = patterns.context_present(text)
        for recognizer in worded:
            assert (id(recognizer) in present) == recognizer.context_in(text.casefold()), (
                recognizer.name,
                text,
            )
    assert any(patterns.context_present(t) for t in texts)
    assert not patterns.context_present("nothing here, no word of theirs")
    # a substring is enough to read the text (as before): the word regex then decides
    assert patterns.context_present("tinned")


class _ReferencePhone(PhoneRecognizer):
    def score(self, candidate: str) -> float:
        return _reference_score(self, candidate)


class _Alone:
    """A pattern recognizer run alone; one needing context words looks for them by itself,
    word by word (`context_in`), as every recognizer did before the automaton."""

    def __init__(self, recognizer: PatternRecognizer) -> None:
        self.recognizer = recognizer
        self.name = recognizer.name
        self.entities = recognizer.entities
        self.worded = recognizer.context_required and bool(recognizer.context)
        self.alone = PatternSet([recognizer])

    def analyze(self, text: str) -> list[Finding]:
        r = self.recognizer
        if not self.worded:
            return self.alone.analyze(text)
        assert not r.bound  # a recognizer needing context words scans all its patterns
        if not r.applies(text):
            return []
        found = (r.finding(text, *match) for match in r.matches_anywhere(text))
        return [f for f in found if f is not None]


def test_the_analyzer_finds_what_it_found_before_on_generated_tickets() -> None:
    fast = Analyzer()
    slow = Analyzer(
        [_ReferencePhone() if r.name == "phone" else r for r in installed_recognizers()]
    )
    rng = random.Random(14)
    texts = []
    for locale in ("en_US", "fr_FR", "el_GR"):
        fake = Faker(locale)
        fake.seed_instance(14)
        for _ in range(150):
            texts.append(
                f"Ticket {rng.randint(10_000, 99_999)} opened {fake.date()} "
                f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}. {fake.name()} called from "
                f"{fake.phone_number()} about {fake.name()}, tel {fake.phone_number()}; "
                f"IBAN {fake.iban()}, card {fake.credit_card_number()}, {fake.address()}. "
                f"{rng.choice(WORDS)} {fake.date(pattern='%d/%m/%Y')}, "
                f"{rng.choice(WORDS).upper()} {rng.randint(10**8, 10**9 - 1)}. "
                f"Amount {rng.randint(1, 9999)}.{rng.randint(0, 99):02d} EUR, v{rng.randint(1, 9)}.{rng.randint(0, 20)}."
            )
    found = [fast.analyze(text) for text in texts]
    assert found == [slow.analyze(text) for text in texts]
    # … and what each recognizer finds alone, checking its context words by itself
    alone = Analyzer(
        [_Alone(r) if isinstance(r, PatternRecognizer) else r for r in installed_recognizers()]
    )
    assert found == [alone.analyze(text) for text in texts]
    assert sum(f.entity == "DATE_OF_BIRTH" for run in found for f in run) > 100
    assert sum(f.entity == "GR_AFM" for run in found for f in run) > 0
    phones = sum(f.entity == "PHONE_NUMBER" for run in found for f in run)
    assert phones > len(texts)  # most tickets' two numbers are found: the test reads phones
