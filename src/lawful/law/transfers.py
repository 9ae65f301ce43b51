"""International transfers (GDPR Chapter V): where data may go and on what ground."""

from __future__ import annotations

from lawful.datamap.models import TransferMechanism

# European Economic Area: the 27 EU member states plus Iceland, Liechtenstein and Norway.
EEA = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
        "IS",
        "LI",
        "NO",
    ]
)

# Countries with a Commission adequacy decision (GDPR Art. 45(3)). The United States is
# adequate only for organisations certified under the EU-US Data Privacy Framework
# (decision of 10 July 2023), so a US recipient still needs `dpf` or another mechanism.
ADEQUATE = frozenset(
    ["AD", "AR", "CA", "FO", "GG", "IL", "IM", "JP", "JE", "NZ", "KR", "CH", "GB", "UY"]
)

# "Privacy Shield" was invalidated by the CJEU on 16 July 2020 (C-311/18, Schrems II).
VALID_MECHANISMS = frozenset(
    {
        TransferMechanism.adequacy,  # Art. 45
        TransferMechanism.dpf,  # Art. 45, EU-US DPF adequacy decision (2023)
        TransferMechanism.scc,  # Art. 46(2)(c)
        TransferMechanism.bcr,  # Art. 47
        TransferMechanism.derogation,  # Art. 49
    }
)


def in_eea(country: str) -> bool:
    return country.upper() in EEA


def is_adequate(country: str) -> bool:
    """True where data may flow without a further safeguard (EEA or Art. 45 decision)."""
    return in_eea(country) or country.upper() in ADEQUATE


def residency_allows(allowed: list[str], country: str) -> bool:
    """Whether a client's residency list admits `country`; the word EEA stands for all of it."""
    upper = {entry.upper() for entry in allowed}
    return country.upper() in upper or ("EEA" in upper and in_eea(country))
