"""Rights-request types (DESIGN.md §3.1): the law each rests on, where it exists, whether the
person must prove who they are, and which deadline rule applies."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from lawful.datamap.models import Jurisdiction


class RequestType(StrEnum):
    access = "access"
    portability = "portability"
    rectification = "rectification"
    erasure = "erasure"
    restriction = "restriction"
    objection = "objection"  # to one purpose, GDPR Art. 21(1)
    objection_direct_marketing = "objection_direct_marketing"  # absolute, Art. 21(3)
    consent_withdrawal = "consent_withdrawal"
    opt_out_sale_sharing = "opt_out_sale_sharing"
    limit_sensitive = "limit_sensitive"
    post_mortem = "post_mortem"
    complaint = "complaint"


class DeadlineKind(StrEnum):
    """The clock a request runs on; `lawful.law.deadlines.RULES` holds the numbers."""

    gdpr_one_month = "gdpr_one_month"  # GDPR Art. 12(3)
    ccpa_45_days = "ccpa_45_days"  # 11 CCR §7021
    ccpa_opt_out = "ccpa_opt_out"  # 11 CCR §7026(f)
    ccpa_limit = "ccpa_limit"  # 11 CCR §7027(g)
    no_statutory_period = "no_statutory_period"  # Lawful's own target


class Regime(StrEnum):
    """A body of law: the EU GDPR (with the member states' own rules), the UK GDPR, the CCPA."""

    gdpr = "gdpr"
    uk_gdpr = "uk_gdpr"
    ccpa = "ccpa"


# EU member states whose own rules Lawful knows; each complements the GDPR.
MEMBER_STATES: Mapping[Jurisdiction, str] = {
    Jurisdiction.fr: "FR",
    Jurisdiction.gr: "GR",
    Jurisdiction.de: "DE",
    Jurisdiction.es: "ES",
    Jurisdiction.it: "IT",
}
GDPR_FAMILY = frozenset({Jurisdiction.gdpr, Jurisdiction.uk, *MEMBER_STATES})


def regime_of(jurisdiction: Jurisdiction) -> Regime:
    if jurisdiction is Jurisdiction.ccpa:
        return Regime.ccpa
    return Regime.uk_gdpr if jurisdiction is Jurisdiction.uk else Regime.gdpr


@dataclass(frozen=True)
class Right:
    """How one request type exists in one jurisdiction."""

    citation: str
    deadline: DeadlineKind
    verify_identity: bool
    verification_citation: str


@dataclass(frozen=True)
class RequestTypeSpec:
    type: RequestType
    title: str
    description: str
    rights: Mapping[Jurisdiction, Right]

    @property
    def jurisdictions(self) -> frozenset[Jurisdiction]:
        return frozenset(self.rights)

    @property
    def verify_identity(self) -> bool:
        """Whether any jurisdiction asks for proof of identity before acting."""
        return any(right.verify_identity for right in self.rights.values())


# Identity checks: GDPR Art. 12(6) lets a controller ask for what confirms identity when it
# has reasonable doubts; CCPA requests to know, delete and correct must be verifiable
# (11 CCR §7060–§7062). A request that can only stop processing does not need proof.
GDPR_VERIFY = "GDPR Art. 12(2), 12(6)"
CCPA_VERIFY = "11 CCR §7060–§7062 (verifiable consumer request)"
NO_PROOF_NEEDED = "stopping processing cannot harm the person; GDPR Art. 12(2) (facilitate)"


def _gdpr(article: str, deadline: DeadlineKind, *, verify: bool) -> dict[Jurisdiction, Right]:
    """The same right in the EU (and each member state Lawful knows) and in the UK."""
    why = GDPR_VERIFY if verify else NO_PROOF_NEEDED
    eu = Right(f"GDPR {article}", deadline, verify, why)
    uk = Right(f"UK GDPR {article}", deadline, verify, f"UK {why}" if verify else why)
    return {j: (uk if j is Jurisdiction.uk else eu) for j in GDPR_FAMILY}


def _ccpa(
    sections: str, deadline: DeadlineKind, *, verify: bool, why: str
) -> dict[Jurisdiction, Right]:
    return {Jurisdiction.ccpa: Right(f"Cal. Civ. Code {sections}", deadline, verify, why)}


_MONTH = DeadlineKind.gdpr_one_month
_CCPA = DeadlineKind.ccpa_45_days
_OWN = DeadlineKind.no_statutory_period

_SPECS = [
    RequestTypeSpec(
        RequestType.access,
        "See my data",
        "A copy of the personal data held about the person, and how it is used.",
        _gdpr("Art. 15", _MONTH, verify=True)
        | _ccpa("§1798.100, §1798.110, §1798.115", _CCPA, verify=True, why=CCPA_VERIFY),
    ),
    RequestTypeSpec(
        RequestType.portability,
        "Take my data",
        "The data the person gave, in a machine-readable file to reuse elsewhere.",
        _gdpr("Art. 20", _MONTH, verify=True)
        # Part of the right to know: specific pieces in a portable format.
        | _ccpa("§1798.130(a)(3)(B)(iii)", _CCPA, verify=True, why=CCPA_VERIFY),
    ),
    RequestTypeSpec(
        RequestType.rectification,
        "Correct my data",
        "Inaccurate data corrected, incomplete data completed.",
        _gdpr("Art. 16", _MONTH, verify=True)
        | _ccpa("§1798.106", _CCPA, verify=True, why=CCPA_VERIFY),
    ),
    RequestTypeSpec(
        RequestType.erasure,
        "Delete my data",
        "The person's data deleted, unless the law requires or allows keeping it.",
        _gdpr("Art. 17", _MONTH, verify=True)
        | _ccpa("§1798.105", _CCPA, verify=True, why=CCPA_VERIFY),
    ),
    RequestTypeSpec(
        RequestType.restriction,
        "Pause the use of my data",
        "The data kept but no longer used while a dispute is settled.",
        _gdpr("Art. 18", _MONTH, verify=True),
    ),
    RequestTypeSpec(
        RequestType.objection,
        "Object to a use of my data",
        "Stop a use that rests on legitimate interests or a public task.",
        _gdpr("Art. 21(1)", _MONTH, verify=True),
    ),
    RequestTypeSpec(
        RequestType.objection_direct_marketing,
        "Stop marketing to me",
        "No more direct marketing, with no reason needed and no exception.",
        _gdpr("Art. 21(2)–(3)", _MONTH, verify=False),
    ),
    RequestTypeSpec(
        RequestType.consent_withdrawal,
        "Withdraw my consent",
        "Stop a use the person had agreed to; as easy as giving consent.",
        # Art. 7(3) sets no period (Art. 12(3) covers Art. 15–22 only).
        _gdpr("Art. 7(3)", _OWN, verify=False),
    ),
    RequestTypeSpec(
        RequestType.opt_out_sale_sharing,
        "Do not sell or share my personal information",
        "Stop selling the person's data or sharing it for cross-context advertising.",
        # 11 CCR §7026(d): an opt-out need not be a verifiable consumer request.
        _ccpa(
            "§1798.120; 11 CCR §7026",
            DeadlineKind.ccpa_opt_out,
            verify=False,
            why="11 CCR §7026(d)",
        ),
    ),
    RequestTypeSpec(
        RequestType.limit_sensitive,
        "Limit the use of my sensitive personal information",
        "Use sensitive data only for what the person asked for.",
        # 11 CCR §7027(e): a request to limit need not be a verifiable consumer request.
        _ccpa(
            "§1798.121; 11 CCR §7027", DeadlineKind.ccpa_limit, verify=False, why="11 CCR §7027(e)"
        ),
    ),
    RequestTypeSpec(
        RequestType.post_mortem,
        "Directions for my data after death",
        "What happens to a person's data after their death; requests by heirs.",
        # The GDPR does not cover the dead (Recital 27); some member states do. Whoever asks
        # proves the death and their standing. None of these laws sets a period.
        {
            Jurisdiction.fr: Right(
                "Loi Informatique et Libertés art. 85", _OWN, True, "LIL art. 85"
            ),
            Jurisdiction.es: Right("LOPDGDD art. 3", _OWN, True, "LOPDGDD art. 3"),
            Jurisdiction.it: Right(
                "Codice privacy art. 2-terdecies", _OWN, True, "Codice privacy art. 2-terdecies"
            ),
        },
    ),
    RequestTypeSpec(
        RequestType.complaint,
        "Make a complaint",
        "A complaint to the organisation or its DPO about how data is handled.",
        # People may contact the DPO on any issue (Art. 38(4)) and complain to an authority
        # (Art. 77; Cal. Civ. Code §1798.199.45). No law sets the organisation a period.
        _gdpr("Art. 38(4), Art. 77", _OWN, verify=False)
        | _ccpa("§1798.199.45", _OWN, verify=False, why="a complaint needs no proof of identity"),
    ),
]

REQUEST_TYPES: Mapping[RequestType, RequestTypeSpec] = {spec.type: spec for spec in _SPECS}


def right_under(request_type: RequestType, jurisdiction: Jurisdiction) -> Right | None:
    """The right behind `request_type` in `jurisdiction`, or None where it does not exist."""
    return REQUEST_TYPES[request_type].rights.get(jurisdiction)


def request_types_for(jurisdictions: Iterable[Jurisdiction]) -> list[RequestType]:
    """The request types a person covered by `jurisdictions` may make, in enum order."""
    held = set(jurisdictions)
    return [t for t in RequestType if held & REQUEST_TYPES[t].jurisdictions]
