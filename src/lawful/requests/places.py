"""Where people live, for the residence question of the request forms. The law decides what
applies (`lawful.law.jurisdictions`); this list only names the places on the form."""

from __future__ import annotations

from collections.abc import Mapping

# ISO 3166-1 alpha-2 codes: the EEA (GDPR), the United Kingdom (UK GDPR), Switzerland, the
# United States (CCPA for California) and a few frequent others. "Other" takes any code.
COUNTRIES: Mapping[str, str] = {
    "AT": "Austria", "BE": "Belgium", "BG": "Bulgaria", "HR": "Croatia", "CY": "Cyprus",
    "CZ": "Czechia", "DK": "Denmark", "EE": "Estonia", "FI": "Finland", "FR": "France",
    "DE": "Germany", "GR": "Greece", "HU": "Hungary", "IS": "Iceland", "IE": "Ireland",
    "IT": "Italy", "LV": "Latvia", "LI": "Liechtenstein", "LT": "Lithuania",
    "LU": "Luxembourg", "MT": "Malta", "NL": "Netherlands", "NO": "Norway", "PL": "Poland",
    "PT": "Portugal", "RO": "Romania", "SK": "Slovakia", "SI": "Slovenia", "ES": "Spain",
    "SE": "Sweden", "CH": "Switzerland", "GB": "United Kingdom", "US": "United States",
    "CA": "Canada", "MA": "Morocco", "TN": "Tunisia", "SN": "Senegal", "IN": "India",
    "BR": "Brazil", "AU": "Australia",
}  # fmt: skip
OTHER = "other"


def country_choices() -> list[tuple[str, str]]:
    """(code, name) sorted by name, for a <select>."""
    return sorted(COUNTRIES.items(), key=lambda item: item[1])
