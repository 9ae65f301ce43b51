"""Pools of fake values, made once with a seeded Faker and combined per row with `random`.

Faker costs tens of microseconds a call, so a million people cannot each get their own
calls. Instead a few thousand names, streets and companies are drawn once per locale;
rows pick from them with a seeded `random.Random`, and values that must be unique
(emails, phone numbers) are built from the person's number.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from random import Random
from typing import NamedTuple

from faker import Faker

LOCALES = {"FR": "fr_FR", "GR": "el_GR", "US": "en_US"}
POOL_SIZE = 2000

# ELOT 743 style romanisation, enough to turn Greek names into email local parts.
_GREEK = str.maketrans(
    {
        "α": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "i", "θ": "th",
        "ι": "i", "κ": "k", "λ": "l", "μ": "m", "ν": "n", "ξ": "x", "ο": "o", "π": "p",
        "ρ": "r", "σ": "s", "ς": "s", "τ": "t", "υ": "y", "φ": "f", "χ": "ch", "ψ": "ps",
        "ω": "o",
    }
)  # fmt: skip


def slug(text: str, limit: int = 24) -> str:
    """Lowercase ASCII letters and digits only: `Éloïse` → `eloise`, `Σοφία` → `sofia`."""
    bare = "".join(
        c for c in unicodedata.normalize("NFD", text.lower()) if not unicodedata.combining(c)
    )
    ascii_text = bare.translate(_GREEK)
    return "".join(c for c in ascii_text if c.isascii() and c.isalnum())[:limit] or "x"


@dataclass(frozen=True)
class LocalePool:
    """Names and places of one country; `*_slugs` are the ASCII forms, index for index."""

    country: str
    first_names: tuple[str, ...]
    first_slugs: tuple[str, ...]
    last_names: tuple[str, ...]
    last_slugs: tuple[str, ...]
    streets: tuple[str, ...]
    places: tuple[tuple[str, str], ...]  # (postal code, city)
    companies: tuple[str, ...]
    company_slugs: tuple[str, ...]


@dataclass(frozen=True)
class Pools:
    by_country: dict[str, LocalePool]
    user_agents: tuple[str, ...]


def build_pools(seed: int) -> Pools:
    """Draw every pool from Faker seeded with `seed`: same seed, same pools."""
    by_country = {
        country: _locale_pool(country, Faker(locale), seed) for country, locale in LOCALES.items()
    }
    faker = Faker("en_US")
    faker.seed_instance(seed)
    agents = tuple(faker.user_agent() for _ in range(300))
    return Pools(by_country=by_country, user_agents=agents)


def _locale_pool(country: str, faker: Faker, seed: int) -> LocalePool:
    faker.seed_instance(f"{seed}:{country}")
    first = _distinct(faker.first_name() for _ in range(POOL_SIZE))
    last = _distinct(faker.last_name() for _ in range(POOL_SIZE))
    companies = _distinct(faker.company() for _ in range(POOL_SIZE // 2))
    return LocalePool(
        country=country,
        first_names=first,
        first_slugs=tuple(slug(name) for name in first),
        last_names=last,
        last_slugs=tuple(slug(name) for name in last),
        streets=tuple(faker.street_address() for _ in range(POOL_SIZE)),
        places=tuple((faker.postcode(), faker.city()) for _ in range(POOL_SIZE // 2)),
        companies=companies,
        company_slugs=tuple(slug(name, 16) for name in companies),
    )


def _distinct(values: Iterable[str]) -> tuple[str, ...]:
    """Unique values in first-seen order (dict keeps insertion order, so it is deterministic)."""
    return tuple(dict.fromkeys(values))


class Person(NamedTuple):
    first_name: str
    last_name: str
    email: str
    phone: str
    street: str
    postal_code: str
    city: str
    country: str


PERSONAL_DOMAINS = ("mail.example", "post.example", "inbox.example", "courriel.example")


def make_person(rng: Random, pool: LocalePool, number: int, domains: tuple[str, ...]) -> Person:
    """A person from the pools; `number` is unique across the company, so email and phone are."""
    rnd = rng.random
    f = int(rnd() * len(pool.first_names))
    la = int(rnd() * len(pool.last_names))
    postal_code, city = pool.places[int(rnd() * len(pool.places))]
    domain = domains[int(rnd() * len(domains))]
    return Person(
        first_name=pool.first_names[f],
        last_name=pool.last_names[la],
        email=f"{pool.first_slugs[f]}.{pool.last_slugs[la]}.{number}@{domain}",
        phone=phone_number(pool.country, number),
        street=pool.streets[int(rnd() * len(pool.streets))],
        postal_code=postal_code,
        city=city,
        country=pool.country,
    )


# Multiplying by a number coprime with 10**8 permutes 0..10**8-1: distinct people get
# distinct, scattered-looking subscriber numbers.
_SCATTER = 7_654_321
_US_AREAS = (
    "212", "213", "305", "312", "404", "415", "503", "512", "617", "702",
    "713", "720", "801", "808", "901", "916", "919", "971", "978", "985",
)  # fmt: skip


def phone_number(country: str, number: int) -> str:
    """An E.164 mobile number (ITU-T E.164), unique for each `number` below 10**8."""
    x = (number * _SCATTER + 13_579_246) % 100_000_000
    if country == "FR":
        return f"+336{x:08d}"  # French mobiles: 06 xx xx xx xx
    if country == "GR":
        return f"+3069{x:08d}"  # Greek mobiles: 69x xxx xxxx
    area = _US_AREAS[x // 5_000_000]  # NANP: exchange codes start with 2-9
    return f"+1{area}{2_000_000 + x % 5_000_000:07d}"


def iban(country: str, rng: Random) -> str:
    """A well-formed French or Greek IBAN (ISO 13616: check digits 98 − (number mod 97))."""
    if country == "GR":
        bban = f"{rng.randrange(10**7):07d}{rng.randrange(10**16):016d}"
    elif country == "FR":
        bank = f"{rng.randrange(10**10):010d}{rng.randrange(10**11):011d}"
        bban = f"{bank}{97 - int(bank) * 100 % 97:02d}"  # French RIB key
    else:
        raise ValueError(f"no IBAN format for {country}")
    digits = "".join(str(int(c, 36)) for c in bban + country) + "00"
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


def social_security_number(country: str, rng: Random, sex: int, birth: str) -> str:
    """France: NIR, 13 digits and a key (97 − n mod 97). Greece: AMKA, birth date + Luhn."""
    year, month, day = birth[2:4], birth[5:7], birth[8:10]
    if country == "GR":
        body = f"{day}{month}{year}{rng.randrange(10**4):04d}"
        return body + str(_luhn_digit(body))
    body = f"{sex}{year}{month}{rng.randrange(1, 96):02d}{rng.randrange(1, 990):03d}"
    body += f"{rng.randrange(1, 1000):03d}"
    return f"{body}{97 - int(body) % 97:02d}"


def _luhn_digit(body: str) -> int:
    total = 0
    for position, char in enumerate(reversed(body)):
        value = int(char) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return (10 - total % 10) % 10


def token(rng: Random, prefix: str, bits: int = 64) -> str:
    """An opaque random identifier such as a payment-card token or a cookie id."""
    return f"{prefix}{rng.getrandbits(bits):0{bits // 4}x}"


def ip_address(rng: Random) -> str:
    """Addresses from the documentation ranges only (RFC 5737, RFC 3849): never a real host."""
    if rng.random() < 0.3:
        return f"{rng.choice(('192.0.2', '198.51.100', '203.0.113'))}.{rng.randrange(1, 255)}"
    groups = ":".join(f"{rng.getrandbits(16):x}" for _ in range(3))
    return f"2001:db8:{groups}::{rng.getrandbits(16):x}"
