"""The supervisory authorities a complaint or an inquiry can come from (GDPR Art. 51), by the
short name staff use, and the default time to answer when the letter sets none."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Authority:
    code: str
    name: str
    country: str


AUTHORITIES: Mapping[str, Authority] = {
    a.code: a
    for a in (
        Authority("CNIL", "Commission nationale de l'informatique et des libertés", "FR"),
        Authority("HDPA", "Hellenic Data Protection Authority", "GR"),
        Authority(
            "BFDI", "Bundesbeauftragte für den Datenschutz und die Informationsfreiheit", "DE"
        ),
        Authority("AEPD", "Agencia Española de Protección de Datos", "ES"),
        Authority("GARANTE", "Garante per la protezione dei dati personali", "IT"),
        Authority("APD", "Autorité de protection des données", "BE"),
        Authority("AP", "Autoriteit Persoonsgegevens", "NL"),
        Authority("DPC", "Data Protection Commission", "IE"),
        Authority("ICO", "Information Commissioner's Office", "GB"),
    )
}

# When the letter sets no date. GDPR Art. 58(1)(a) lets the authority order us to provide any
# information it needs and Art. 31 obliges us to cooperate, but neither sets a period: we
# answer within 30 days unless the authority says otherwise (a house default, shown as such).
AUTHORITY_DEFAULT_DAYS = 30
AUTHORITY_DEFAULT_BASIS = "default 30 days: GDPR Art. 31 and 58(1)(a) set no period"
# A complaint made to us: answered without undue delay and within one month, the period of
# Art. 12(3) for the rights it is usually about.
PERSON_DEFAULT_DAYS = 30
PERSON_DEFAULT_BASIS = "default one month: GDPR Art. 12(3)"
