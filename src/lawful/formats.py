"""How a person reads a moment, a day, a number, an amount of money or a country, on every
staff page and in every mail: one installation, one time zone (`LAWFUL_TIME_ZONE`) and
Unicode CLDR's English conventions (through Babel), so the same thing reads the same way
everywhere. `lawful.jinja` registers these as the filters every template uses.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime
from babel.numbers import format_currency, format_decimal, get_territory_currencies

from lawful.config import Settings, SettingsError

# One locale for the console and mail: day before month, 24-hour clock, "1,234.50".
LOCALE = Locale.parse("en_GB")
DEFAULT_ZONE = "UTC"
NOTHING = "—"  # what an empty value reads as
_MOMENT = "d MMM y, HH:mm"  # CLDR pattern; the zone's abbreviation follows
_DAY = "d MMM y"
_CENTS_PER_UNIT = 100  # ISO 4217 minor units of the currencies a map names (EUR, USD, GBP…)


def time_zone(name: str | None) -> ZoneInfo:
    """The zone named `name` (IANA, e.g. Europe/Paris); SettingsError says how to fix a bad one."""
    text = (name or DEFAULT_ZONE).strip()
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(
            f"LAWFUL_TIME_ZONE {text!r} is not an IANA time zone name; use e.g. UTC, "
            'Europe/Paris or America/Los_Angeles (the list: `python -c "import zoneinfo; '
            'print(sorted(zoneinfo.available_timezones()))"`)'
        ) from None


def display_zone(settings: Settings) -> ZoneInfo:
    """The installation's one zone for pages and mail (checked: SettingsError if unknown)."""
    return time_zone(settings.time_zone)


def moment(value: datetime | None, zone: tzinfo | str = DEFAULT_ZONE) -> str:
    """`7 Dec 2026, 18:34 CET`: a moment in `zone`, with the zone's abbreviation."""
    if value is None:
        return NOTHING
    tz = time_zone(zone) if isinstance(zone, str) else zone
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    local = aware.astimezone(tz)
    return f"{_babel_datetime(local, _MOMENT, tzinfo=tz, locale=LOCALE)} {local.strftime('%Z')}"


def day(value: date | str | None) -> str:
    """`7 Dec 2026`: a calendar day (a deadline is a day, not a moment: no zone)."""
    if value is None or value == "":
        return NOTHING
    if isinstance(value, str):
        try:
            parsed = date.fromisoformat(value[:10])
        except ValueError:
            return value
    else:
        parsed = value.date() if isinstance(value, datetime) else value
    return str(_babel_date(parsed, _DAY, locale=LOCALE))


def number(value: int | float | Decimal | None) -> str:
    """`12,345`: a count or a measure with the locale's grouping."""
    if value is None:
        return NOTHING
    return str(format_decimal(value, locale=LOCALE))


def money(cents: int | None, currency: str = "EUR") -> str:
    """`€1,234.50`: an amount stored in cents, in its ISO 4217 `currency`."""
    if cents is None:
        return NOTHING
    amount = Decimal(cents) / _CENTS_PER_UNIT
    return str(format_currency(amount, currency.upper(), locale=LOCALE))


def currency_of(country_code: str | None, default: str = "EUR") -> str:
    """The ISO 4217 currency in use today in a country (CLDR): FR → EUR, US → USD."""
    if not country_code:
        return default
    found = get_territory_currencies(country_code.strip().upper()[:2])
    return found[0] if found else default


def is_cents(field: str) -> bool:
    """A field holding an amount in cents, by the map's naming (`amount_cents`)."""
    return field.endswith("_cents")


def country(code: str | None) -> str:
    """`France`: the English name of an ISO 3166-1 alpha-2 code (`US-CA` reads `US-CA`'s
    country, then its region); an unknown code is shown as given."""
    if not code:
        return NOTHING
    main, _, region = code.strip().upper().partition("-")
    name = LOCALE.territories.get("GB" if main == "UK" else main, main)
    return f"{name} ({region})" if region else str(name)
