"""Phone numbers in text, checked against each country's numbering plan (`phonenumbers`,
Google's libphonenumber metadata).

A compiled regex finds runs that could be numbers; only those are parsed. International
forms (`+30 …`, `0033 …`) are checked against their own country; national forms against
the regions in `REGIONS`, in order (the first whose plan accepts the number wins).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

import phonenumbers

from lawful.recognizers.recognizers import Pattern, PatternRecognizer

# National forms tried, each with the digit shapes its plan allows (a cheap filter, so the
# library parses only plausible candidates).
REGIONS: dict[str, re.Pattern[str]] = {
    "FR": re.compile(r"0[1-9]\d{8}"),
    "GR": re.compile(r"(?:2\d|69)\d{8}"),
    "GB": re.compile(r"0[1-9]\d{8,9}"),
    "US": re.compile(r"1?[2-9]\d{2}[2-9]\d{6}"),
    "ES": re.compile(r"[6-9]\d{8}"),
    "IT": re.compile(r"(?:3\d{8,9}|0\d{5,10})"),
    "DE": re.compile(r"0[1-9]\d{5,12}"),
}
_NOT_DIGIT = re.compile(r"\D")
# 7 to 15 digits (ITU-T E.164 §6.1: at most 15, country code included), after an optional
# international prefix "00"
_DIGIT_COUNT = re.compile(r"\D*(?:00)?(?:\d\D*){7,15}")
# Dates and times look like national numbers to the plans: 2010-08-05 01, 05/08/2010.
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}")
# Candidates: 7 to 17 digits with short separators, not glued to a word or a number before
# them, starting with "+" or "(" (each scanned for: rare characters, the scan jumps between
# them) or a digit (tried where a run of digits begins, with the other recognizers' patterns
# bound there: no scan of its own). A "00" international prefix scores as a "+".
_MORE = r"[\s.\-()/]{0,2}\d"  # one more digit, after up to two separators
PATTERNS = (
    Pattern(rf"[+](?<![\w+][+])\d(?:{_MORE}){{6,16}}(?!\w)", 0.9),
    Pattern(rf"(?<![\w+(])00(?:{_MORE}){{5,15}}(?!\w)", 0.9, "digits"),
    Pattern(rf"[(](?<![\w+][(])\d(?:{_MORE}){{6,16}}(?!\w)", 0.75),
    Pattern(rf"(?<![\w+(])(?!00)\d(?:{_MORE}){{6,16}}(?!\w)", 0.75, "digits"),
)
_CONTEXT = (
    "tel",
    "tél",
    "phone",
    "mobile",
    "portable",
    "téléphone",
    "τηλ",
    "τηλέφωνο",
    "κινητό",
    "call",
    "appel",
)


class PhoneRecognizer(PatternRecognizer):
    """National and international phone numbers a numbering plan says are valid: 0.9 for an
    international number, 0.75 for a national one, 0.1 more after a word such as "tel"."""

    def __init__(self, regions: Sequence[str] = tuple(REGIONS)) -> None:
        self.regions = tuple((region, REGIONS[region]) for region in regions)
        super().__init__(
            "phone",
            "PHONE_NUMBER",
            PATTERNS,
            validator=self.valid,
            context=_CONTEXT,
            context_score=0.1,
        )
        # Every country's plan compiled now, once per process (a third of a second), not at
        # the first number of each country met in a text: an international number, or a
        # run of digits after "00", may name any country code.
        for region, _ in self.regions:
            _joined(_plan(region)[0])
        for code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            _joined(code)

    def valid(self, candidate: str) -> bool:
        """Whether a numbering plan accepts the candidate."""
        return self.score(candidate) > 0

    def score(self, candidate: str) -> float:
        """0.9 for a valid international number, 0.75 for a valid national one, else 0."""
        raw = candidate.strip()
        digits = only_digits(raw)
        if not _digit_count_fits(raw, digits) or _DATE.match(raw):
            return 0.0  # more digits than any number has (a card, an account): not parsed
        if raw.startswith("00"):
            raw = "+" + raw[2:]
            digits = digits[2:]
        if raw.startswith("+"):
            valid = _valid_international(digits) or _valid(raw, None)
            return 0.9 if valid else 0.0
        for region, shape in self.regions:  # in order: the first plan accepting it
            if shape.fullmatch(digits) and _valid_national(digits, region):
                return 0.75
        return 0.0


def only_digits(raw: str) -> str:
    """`_NOT_DIGIT.sub("", raw)`, without the regex engine for the usual separators."""
    digits = (
        raw.replace(" ", "").replace("-", "").replace(".", "").replace("(", "").replace(")", "")
    )
    digits = digits.replace("/", "").replace("+", "")
    # str.isdecimal is the regex's \d (Unicode category Nd); anything else (a tab, a
    # no-break space, letters) goes through the regex
    return digits if digits.isdecimal() else _NOT_DIGIT.sub("", raw)


def _digit_count_fits(raw: str, digits: str) -> bool:
    """`_DIGIT_COUNT.fullmatch(raw) is not None`, from the count of digits: 7 to 15, or up
    to 17 when the first two digits are a "00" written together (an international prefix)."""
    count = len(digits)
    if 7 <= count <= 15:
        return True
    if count < 9 or count > 17:
        return False
    first = next(i for i, c in enumerate(raw) if c.isdecimal())
    return raw.startswith("00", first)


def _valid(raw: str, region: str | None) -> bool:
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number)


@cache
def _plan(region: str) -> tuple[int, str]:
    """The region's country code and trunk prefix ("0" in France, none in Greece)."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if metadata is None or metadata.country_code is None:
        raise ValueError(f"no numbering plan for region {region}")
    return metadata.country_code, metadata.national_prefix or ""


def _valid_national(digits: str, region: str) -> bool:
    """What `_valid(raw, region)` says of a national number, without parsing it: its digits
    less the region's trunk prefix are the national significant number (leading zeros kept,
    as the library keeps them), checked against the plan of every region sharing the country
    code, as the library does."""
    code, trunk = _plan(region)
    significant = digits[len(trunk) :] if trunk and digits.startswith(trunk) else digits
    joined = _joined(code).get(len(significant))
    return joined is not None and joined.fullmatch(significant) is not None


_TYPES = (
    "premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan",
    "voicemail", "fixed_line", "mobile",
)  # fmt: skip


@cache
def _joined(code: int) -> dict[int, re.Pattern[str]]:
    """Per number length, one regex accepting what any region of the country code accepts
    (one alternation: 25 regions share +1): for each region, its
    general pattern over the whole number, then the types that length may be."""
    alternatives: dict[int, list[str]] = {}
    for region in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(code, ()):
        general, types = _region_plan(code, region)
        if general is None:
            continue
        for length, joined in types.items():
            alternatives.setdefault(length, []).append(f"(?=(?:{general})\\Z)(?:{joined})")
    return {n: re.compile("|".join(ps)) for n, ps in alternatives.items()}


def _region_plan(code: int, region: str) -> tuple[str | None, dict[int, str]]:
    """A region's general pattern and, per length, its types' patterns joined."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(code, region)
    general = metadata.general_desc if metadata else None
    if metadata is None or general is None or general.national_number_pattern is None:
        return None, {}
    by_length: dict[int, list[str]] = {}
    for name in _TYPES:
        desc = getattr(metadata, name)
        if desc is None or desc.national_number_pattern is None:
            continue
        for length in desc.possible_length or general.possible_length:
            by_length.setdefault(length, []).append(desc.national_number_pattern)
    joined = {n: "|".join(f"(?:{p})" for p in ps) for n, ps in by_length.items()}
    return general.national_number_pattern, joined


def _valid_international(digits: str) -> bool:
    """True for a number (country code first) the plan of its country accepts, checked
    without parsing; False may still be a number the library's parser reads otherwise."""
    for size in (1, 2, 3):  # country codes are prefix-free (ITU-T E.164)
        regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(int(digits[:size] or 0))
        if regions:
            if regions[0] == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY:
                return False  # +800, +808 …: left to the parser
            rest = digits[size:]
            return bool(rest) and _valid_national(rest, regions[0])
    return False
