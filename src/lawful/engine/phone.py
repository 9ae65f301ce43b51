"""Phone numbers to E.164 (ITU-T E.164: `+`, country code, subscriber number; 15 digits at most).

Small on purpose: it reads international numbers (`+33 6 12…`, `0033 6 12…`) everywhere and
national numbers (`06 12 34 56 78`) for the countries below, dropping the national trunk
prefix. It does not check number plans; a store should hold numbers as E.164 already.
"""

from __future__ import annotations

import re

# ITU-T calling code and national trunk prefix(es) dropped in international form.
COUNTRIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "AT": ("43", ("0",)), "BE": ("32", ("0",)), "BG": ("359", ("0",)), "HR": ("385", ("0",)),
    "CY": ("357", ()), "CZ": ("420", ()), "DK": ("45", ()), "EE": ("372", ()),
    "FI": ("358", ("0",)), "FR": ("33", ("0",)), "DE": ("49", ("0",)), "GR": ("30", ()),
    "HU": ("36", ("06",)), "IE": ("353", ("0",)), "IT": ("39", ()), "LV": ("371", ()),
    "LT": ("370", ("0", "8")), "LU": ("352", ()), "MT": ("356", ()), "NL": ("31", ("0",)),
    "PL": ("48", ()), "PT": ("351", ()), "RO": ("40", ("0",)), "SK": ("421", ("0",)),
    "SI": ("386", ("0",)), "ES": ("34", ()), "SE": ("46", ("0",)), "IS": ("354", ()),
    "LI": ("423", ()), "NO": ("47", ()), "CH": ("41", ("0",)), "GB": ("44", ("0",)),
    "US": ("1", ("1",)), "CA": ("1", ("1",)), "MA": ("212", ("0",)), "TN": ("216", ()),
    "DZ": ("213", ("0",)), "SN": ("221", ()), "CI": ("225", ()), "MU": ("230", ()),
    "MG": ("261", ("0",)), "PH": ("63", ("0",)), "IN": ("91", ("0",)), "EG": ("20", ("0",)),
    "TR": ("90", ("0",)), "IL": ("972", ("0",)), "BR": ("55", ("0",)), "MX": ("52", ()),
    "AU": ("61", ("0",)), "ZA": ("27", ("0",)),
}  # fmt: skip

_SEPARATORS = re.compile(r"[\s\-./()\u00a0]")
# 8 digits at least: shorter numbers exist only in a few tiny numbering plans.
_E164 = re.compile(r"^\+[1-9]\d{7,14}$")


class PhoneNumberError(ValueError):
    """Not a phone number this normaliser can put in E.164 form."""


def to_e164(raw: str, *, default_country: str | None = None) -> str:
    """`raw` in E.164, e.g. "06 12 34 56 78" with FR → "+33612345678"."""
    text = _SEPARATORS.sub("", raw.strip().removeprefix("tel:"))
    if text.startswith("00"):
        text = "+" + text[2:]
    if not text.startswith("+"):
        text = _international(text, default_country)
    if not _E164.match(text):
        raise PhoneNumberError(
            f"{raw!r} is not a phone number: expected + and 8 to 15 digits, like +33612345678"
        )
    return text


def _international(national: str, country: str | None) -> str:
    if not national.isdigit():
        raise PhoneNumberError(f"{national!r} holds characters a phone number cannot have")
    if country is None or country not in COUNTRIES:
        raise PhoneNumberError(
            f"{national!r} has no country code: write it in international form (+33…, +1…)"
        )
    code, trunks = COUNTRIES[country]
    for trunk in trunks:
        if national.startswith(trunk) and (country not in {"US", "CA"} or len(national) == 11):
            national = national[len(trunk) :]
            break
    return f"+{code}{national}"
