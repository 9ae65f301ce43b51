"""Why a request may be refused: a fixed list, each reason tied to its legal ground, to the
request types it can answer, and to its Data Rights Protocol code (DESIGN.md §3.4, §6).

A refusal under the GDPR tells the person, within one month of receipt, the reasons and
that they may complain to a supervisory authority and go to court (Art. 12(4)); under the
CCPA it explains the basis of the denial (11 CCR §7022–§7024).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from lawful.datamap.models import Jurisdiction
from lawful.law.requests import REQUEST_TYPES, Regime, RequestType, regime_of, right_under

GDPR_DENIAL_NOTICE = (
    "GDPR Art. 12(4): within one month of receipt, tell the person why, and that they may "
    "complain to a supervisory authority and seek a judicial remedy"
)
CCPA_DENIAL_NOTICE = "11 CCR §7022–§7024: explain to the consumer the basis for the denial"


class DRPDenialReason(StrEnum):
    """Data Rights Protocol 1.0: the reasons a request reaches the `denied` state."""

    suspected_fraud = "suspected_fraud"
    insuf_verification = "insuf_verification"
    no_match = "no_match"
    claim_not_covered = "claim_not_covered"
    outside_jurisdiction = "outside_jurisdiction"
    too_many_requests = "too_many_requests"
    other = "other"


class DenialReason(StrEnum):
    manifestly_unfounded = "manifestly_unfounded"
    excessive = "excessive"
    identity_not_verified = "identity_not_verified"
    suspected_fraud = "suspected_fraud"
    no_match = "no_match"
    outside_jurisdiction = "outside_jurisdiction"
    freedom_of_expression = "freedom_of_expression"
    legal_obligation = "legal_obligation"
    public_health = "public_health"
    archiving_research = "archiving_research"
    legal_claims = "legal_claims"
    compelling_legitimate_grounds = "compelling_legitimate_grounds"
    rights_of_others = "rights_of_others"
    data_accurate = "data_accurate"
    not_portable = "not_portable"
    objection_not_applicable = "objection_not_applicable"
    restriction_not_applicable = "restriction_not_applicable"
    ccpa_complete_transaction = "ccpa_complete_transaction"
    ccpa_security_integrity = "ccpa_security_integrity"
    ccpa_debugging = "ccpa_debugging"
    ccpa_free_speech = "ccpa_free_speech"
    ccpa_calecpa = "ccpa_calecpa"
    ccpa_research = "ccpa_research"
    ccpa_internal_uses = "ccpa_internal_uses"
    ccpa_legal_obligation = "ccpa_legal_obligation"


class DenialError(ValueError):
    """A denial reason that the law does not allow for this request."""

    http_status = 422


@dataclass(frozen=True)
class DenialGround:
    reason: DenialReason
    title: str  # for staff
    explanation: str  # for the person, in plain words
    citations: Mapping[Regime, str]  # the laws under which the reason exists
    applies_to: frozenset[RequestType]
    drp: DRPDenialReason

    def citation_under(self, jurisdiction: Jurisdiction) -> str | None:
        return self.citations.get(regime_of(jurisdiction))


T = RequestType
# Requests the person must be identified for (GDPR Art. 11(2), 12(6); 11 CCR §7060).
IDENTIFIED = frozenset(t for t, spec in REQUEST_TYPES.items() if spec.verify_identity)
# A complaint is answered, never refused.
REFUSABLE = frozenset(RequestType) - {T.complaint}
# Requests Art. 12(5) lets a controller refuse; withdrawing consent (Art. 7(3)) and objecting
# to direct marketing (Art. 21(3)) are absolute, and an opt-out or limit may only be refused
# as fraudulent (11 CCR §7026(e), §7027(f)).
REFUSABLE_AS_EXCESSIVE = IDENTIFIED


def _both(gdpr: str, ccpa: str) -> dict[Regime, str]:
    return {Regime.gdpr: f"GDPR {gdpr}", Regime.uk_gdpr: f"UK GDPR {gdpr}", Regime.ccpa: ccpa}


def _gdpr(article: str) -> dict[Regime, str]:
    return {Regime.gdpr: f"GDPR {article}", Regime.uk_gdpr: f"UK GDPR {article}"}


def _ccpa_105d(item: str) -> dict[Regime, str]:
    return {Regime.ccpa: f"Cal. Civ. Code §1798.105(d)({item})"}


_C = DRPDenialReason.claim_not_covered
_ERASURE = frozenset({T.erasure})

_GROUNDS = [
    DenialGround(
        DenialReason.manifestly_unfounded,
        "Manifestly unfounded",
        "Your request does not seek to exercise a data protection right, for example it "
        "was made only to disrupt. We explain what led us to this view.",
        _both("Art. 12(5)(b)", "Cal. Civ. Code §1798.145(h)(3)"),
        REFUSABLE_AS_EXCESSIVE,
        DRPDenialReason.other,
    ),
    DenialGround(
        DenialReason.excessive,
        "Excessive or repetitive",
        "You have made the same request several times in a short period and we have "
        "already answered it. You can ask again later.",
        _both("Art. 12(5)(b)", "Cal. Civ. Code §1798.145(h)(3), §1798.130(b)"),
        REFUSABLE_AS_EXCESSIVE,
        DRPDenialReason.too_many_requests,
    ),
    DenialGround(
        DenialReason.identity_not_verified,
        "Identity not verified",
        "We could not confirm that you are the person the data is about, so we could not "
        "act without risking someone else's data. You can make a new request.",
        _both("Art. 12(2), 12(6)", "11 CCR §7060, §7021(b)"),
        IDENTIFIED,
        DRPDenialReason.insuf_verification,
    ),
    DenialGround(
        DenialReason.suspected_fraud,
        "Suspected fraud",
        "We have good reason to believe this request was not made by you or on your "
        "behalf. Contact us if you did make it.",
        _both("Art. 12(6)", "11 CCR §7026(e), §7027(f)"),
        REFUSABLE,
        DRPDenialReason.suspected_fraud,
    ),
    DenialGround(
        DenialReason.no_match,
        "No matching person",
        "We could not find anyone matching the details you gave, so we cannot link any "
        "data to you. Other details (another email or phone number) may help.",
        _both("Art. 11(2)", "11 CCR §7060"),
        IDENTIFIED,
        DRPDenialReason.no_match,
    ),
    DenialGround(
        DenialReason.outside_jurisdiction,
        "Outside jurisdiction",
        "The privacy laws that give this right do not cover you in your situation, for "
        "example because of where you live.",
        {
            Regime.gdpr: "GDPR Art. 3",
            Regime.uk_gdpr: "UK GDPR Art. 3",
            Regime.ccpa: "Cal. Civ. Code §1798.140(i)",
        },
        REFUSABLE,
        DRPDenialReason.outside_jurisdiction,
    ),
    DenialGround(
        DenialReason.freedom_of_expression,
        "Freedom of expression",
        "The data is part of something published or said under freedom of expression and "
        "information, which the law protects even against deletion.",
        _gdpr("Art. 17(3)(a)"),
        _ERASURE,
        _C,
    ),
    DenialGround(
        DenialReason.legal_obligation,
        "Legal obligation or public task",
        "A law requires us to keep this data (for example accounting records), or we "
        "hold it for a task in the public interest. We tell you which law and until when.",
        _gdpr("Art. 17(3)(b)"),
        _ERASURE,
        _C,
    ),
    DenialGround(
        DenialReason.public_health,
        "Public health",
        "The data is needed for reasons of public health, such as health-care "
        "obligations set by law.",
        _gdpr("Art. 17(3)(c)"),
        _ERASURE,
        _C,
    ),
    DenialGround(
        DenialReason.archiving_research,
        "Archiving, research or statistics",
        "The data is used for archiving in the public interest, scientific or historical "
        "research or statistics, and deleting it would seriously harm that work.",
        _gdpr("Art. 17(3)(d)"),
        _ERASURE,
        _C,
    ),
    DenialGround(
        DenialReason.legal_claims,
        "Legal claims",
        "We need the data to bring, pursue or defend a legal claim.",
        _gdpr("Art. 17(3)(e), 21(1)"),
        frozenset({T.erasure, T.objection}),
        _C,
    ),
    DenialGround(
        DenialReason.compelling_legitimate_grounds,
        "Compelling legitimate grounds",
        "We weighed your objection against our reasons for this use; our reasons are "
        "compelling and override your interests here. We explain them.",
        _gdpr("Art. 21(1)"),
        frozenset({T.objection}),
        _C,
    ),
    DenialGround(
        DenialReason.rights_of_others,
        "Rights of others",
        "Part of what you asked for is also about other people; giving it would harm "
        "their rights, so we left that part out.",
        _gdpr("Art. 15(4), 20(4)"),
        frozenset({T.access, T.portability}),
        _C,
    ),
    DenialGround(
        DenialReason.data_accurate,
        "Data is accurate",
        "We checked the data you asked us to correct and found it accurate. You can send "
        "us anything that shows otherwise.",
        {
            Regime.gdpr: "GDPR Art. 16",
            Regime.uk_gdpr: "UK GDPR Art. 16",
            Regime.ccpa: "Cal. Civ. Code §1798.106(a); 11 CCR §7023",
        },
        frozenset({T.rectification}),
        _C,
    ),
    DenialGround(
        DenialReason.not_portable,
        "Not covered by portability",
        "Portability covers only data you gave us, used with your consent or under a "
        "contract, by automated means. You can still ask for a copy (access).",
        _gdpr("Art. 20(1)"),
        frozenset({T.portability}),
        _C,
    ),
    DenialGround(
        DenialReason.objection_not_applicable,
        "Objection does not apply",
        "This use rests on your consent, a contract or a legal duty, not on our legitimate "
        "interests or a public task, so it cannot be objected to; you may withdraw consent.",
        _gdpr("Art. 21(1)"),
        frozenset({T.objection}),
        _C,
    ),
    DenialGround(
        DenialReason.restriction_not_applicable,
        "Restriction does not apply",
        "None of the situations in which the law lets you pause the use of your data "
        "applies here (disputed accuracy, unlawful use, data needed for a claim, pending "
        "objection).",
        _gdpr("Art. 18(1)"),
        frozenset({T.restriction}),
        _C,
    ),
    DenialGround(
        DenialReason.ccpa_complete_transaction,
        "Needed for a transaction or contract",
        "We need the data to complete a transaction you asked for, provide a product or "
        "service, honour a warranty or recall, or perform our contract with you.",
        _ccpa_105d("1"),
        _ERASURE,
        _C,
    ),
    DenialGround(
        DenialReason.ccpa_security_integrity,
        "Security and integrity",
        "We need the data, in proportion, to keep our services secure and protect them "
        "against fraud or malicious activity.",
        _ccpa_105d("2"),
        _ERASURE,
        _C,
    ),
    DenialGround(
        DenialReason.ccpa_debugging,
        "Debugging",
        "We need the data to find and repair errors that break existing features.",
        _ccpa_105d("3"),
        _ERASURE,
        _C,
    ),
    DenialGround(
        DenialReason.ccpa_free_speech,
        "Free speech",
        "Keeping the data is needed to exercise free speech, protect someone else's free "
        "speech, or exercise another right given by law.",
        _ccpa_105d("4"),
        _ERASURE,
        _C,
    ),
    DenialGround(
        DenialReason.ccpa_calecpa,
        "Electronic communications privacy",
        "The California Electronic Communications Privacy Act requires us to keep it.",
        _ccpa_105d("5"),
        _ERASURE,
        _C,
    ),
    DenialGround(
        DenialReason.ccpa_research,
        "Research you consented to",
        "The data is used in research that follows ethics and privacy law, you consented "
        "to it, and deleting it would make the research impossible or seriously impair it.",
        _ccpa_105d("6"),
        _ERASURE,
        _C,
    ),
    DenialGround(
        DenialReason.ccpa_internal_uses,
        "Expected internal use",
        "We use the data only internally, in ways you would reasonably expect from your "
        "relationship with us and compatible with why you gave it.",
        _ccpa_105d("7"),
        _ERASURE,
        _C,
    ),
    DenialGround(
        DenialReason.ccpa_legal_obligation,
        "Legal obligation",
        "A law requires us to keep this data. We tell you which law and until when.",
        _ccpa_105d("8"),
        _ERASURE,
        _C,
    ),
]

DENIAL_GROUNDS: Mapping[DenialReason, DenialGround] = {g.reason: g for g in _GROUNDS}


def valid_reasons(
    request_type: RequestType, jurisdiction: Jurisdiction | None
) -> list[DenialReason]:
    """The reasons that may refuse `request_type` under `jurisdiction`. When no law covers the
    person (None), or the law gives no such right, the only one is `outside_jurisdiction`."""
    return [r for r in DenialReason if _allowed(DENIAL_GROUNDS[r], request_type, jurisdiction)]


def check_denial(
    *, reason: DenialReason, request_type: RequestType, jurisdiction: Jurisdiction | None
) -> DenialGround:
    """The ground for refusing this request for `reason`; DenialError if the law gives none."""
    ground = DENIAL_GROUNDS[reason]
    if _allowed(ground, request_type, jurisdiction):
        return ground
    allowed = ", ".join(valid_reasons(request_type, jurisdiction)) or "none"
    under = f"under `{jurisdiction.value}`" if jurisdiction else "when no law applies"
    raise DenialError(
        f"`{reason.value}` cannot refuse a {request_type.value} request {under}. "
        f"Reasons that can: {allowed}."
    )


def denial_notice(jurisdiction: Jurisdiction) -> str:
    """What the refusal must tell the person, and by when."""
    return CCPA_DENIAL_NOTICE if regime_of(jurisdiction) is Regime.ccpa else GDPR_DENIAL_NOTICE


def _allowed(
    ground: DenialGround, request_type: RequestType, jurisdiction: Jurisdiction | None
) -> bool:
    if request_type not in ground.applies_to:
        return False
    # With no law covering the person, or a law without this right, only one reason fits.
    if jurisdiction is None or right_under(request_type, jurisdiction) is None:
        return ground.reason is DenialReason.outside_jurisdiction
    return ground.citation_under(jurisdiction) is not None
