"""Check-digit and shape validators that recognizers name in YAML (`validator: luhn`).

Each takes the matched text and says whether it is a real identifier: a match whose check
digit is wrong is not reported. Sources are cited beside each rule.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable

Validator = Callable[[str], bool]

_NON_ALNUM = re.compile(r"[^0-9A-Za-z]")


def _compact(text: str) -> str:
    return _NON_ALNUM.sub("", text).upper()


def luhn(text: str) -> bool:
    """ISO/IEC 7812-1 Annex B (payment cards, 13-19 digits; other characters ignored)."""
    digits = re.sub(r"\D", "", text)
    if not digits.isdigit() or not 13 <= len(digits) <= 19 or len(set(digits)) == 1:
        return False
    return _luhn_ok(digits)


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def iban(text: str) -> bool:
    """ISO 13616-1: move the first four characters to the end, letters to 10..35, mod 97 = 1."""
    value = _compact(text)
    if not 15 <= len(value) <= 34 or not value[:2].isalpha() or not value[2:4].isdigit():
        return False
    rearranged = value[4:] + value[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def fr_nir(text: str) -> bool:
    """French NIR (INSEE): 13 characters + a key = 97 - (number mod 97); for Corsica's
    departments the key is computed with 2A read as 19 and 2B as 18 (INSEE's rule)."""
    value = _compact(text)
    if len(value) != 15 or value[0] not in "12378" or not value[13:].isdigit():
        return False
    body = value[:13].replace("2A", "19").replace("2B", "18")
    if not body.isdigit():
        return False
    return 97 - int(body) % 97 == int(value[13:])


def gr_amka(text: str) -> bool:
    """Greek AMKA (law 2972/2001 art. 2): 11 digits, DDMMYY birth date first, Luhn checked."""
    value = _compact(text)
    if len(value) != 11 or not value.isdigit():
        return False
    day, month = int(value[:2]), int(value[2:4])
    return 1 <= day <= 31 and 1 <= month <= 12 and _luhn_ok(value)


def gr_afm(text: str) -> bool:
    """Greek tax number (ΑΦΜ): 9 digits; the last is (Σ dᵢ·2^(9-i), i=1..8) mod 11 mod 10."""
    value = _compact(text)
    if len(value) != 9 or not value.isdigit() or value == "000000000":
        return False
    total = sum(int(d) << (8 - i) for i, d in enumerate(value[:8]))
    return total % 11 % 10 == int(value[8])


_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def es_dni(text: str) -> bool:
    """Spanish DNI (8 digits + letter) and NIE (X/Y/Z + 7 digits + letter): letter = table[n mod 23]
    (Real Decreto 1553/2005 art. 11; Orden INT/2058/2008 for the NIE)."""
    value = _compact(text)
    if len(value) != 9:
        return False
    number = value[:8]
    if number[0] in "XYZ":
        number = str("XYZ".index(number[0])) + number[1:]
    if not number.isdigit():
        return False
    return _DNI_LETTERS[int(number) % 23] == value[8]


_CF_ODD = [
    1,
    0,
    5,
    7,
    9,
    13,
    15,
    17,
    19,
    21,
    2,
    4,
    18,
    20,
    11,
    3,
    6,
    8,
    12,
    14,
    16,
    10,
    22,
    25,
    24,
    23,
]


def it_codice_fiscale(text: str) -> bool:
    """Italian codice fiscale (DM 23/12/1976): 16 characters, the last a check letter from the
    odd-position table and the even-position values, mod 26."""
    value = _compact(text)
    if not re.fullmatch(
        r"[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]", value
    ):
        return False
    total = 0
    for i, ch in enumerate(value[:15]):
        index = int(ch) if ch.isdigit() else ord(ch) - ord("A")
        total += _CF_ODD[index] if i % 2 == 0 else index
    return chr(ord("A") + total % 26) == value[15]


def us_ssn(text: str) -> bool:
    """US SSN (SSA, Program Operations Manual RM 10201.060): area not 000, 666 or 9xx; group
    not 00; serial not 0000."""
    value = _compact(text)
    if len(value) != 9 or not value.isdigit():
        return False
    area, group, serial = value[:3], value[3:5], value[5:]
    return area not in {"000", "666"} and area[0] != "9" and group != "00" and serial != "0000"


_NINO_BAD_PREFIXES = {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}


def uk_nino(text: str) -> bool:
    """UK National Insurance number (HMRC NIM39110): two letters (not D, F, I, Q, U, V; the
    second not O; not BG, GB, NK, KN, TN, NT, ZZ), six digits, suffix A-D."""
    value = _compact(text)
    if not re.fullmatch(r"[A-Z]{2}\d{6}[A-D]", value):
        return False
    first, second = value[0], value[1]
    return first not in "DFIQUV" and second not in "DFIQUVO" and value[:2] not in _NINO_BAD_PREFIXES


def ip_address(text: str) -> bool:
    """IPv4 or IPv6, as the standard library parses them (RFC 791, RFC 4291)."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


VALIDATORS: dict[str, Validator] = {
    "luhn": luhn,
    "iban": iban,
    "fr_nir": fr_nir,
    "gr_amka": gr_amka,
    "gr_afm": gr_afm,
    "es_dni": es_dni,
    "it_codice_fiscale": it_codice_fiscale,
    "us_ssn": us_ssn,
    "uk_nino": uk_nino,
    "ip_address": ip_address,
}
