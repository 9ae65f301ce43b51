"""Denial reasons: each tied to its ground, valid only for the requests it can answer."""

from __future__ import annotations

import pytest

from lawful.datamap.models import Jurisdiction
from lawful.law.denials import (
    DENIAL_GROUNDS,
    DenialError,
    DenialReason,
    DRPDenialReason,
    check_denial,
    denial_notice,
    valid_reasons,
)
from lawful.law.requests import RequestType

J = Jurisdiction
R = DenialReason
T = RequestType


def test_every_reason_has_a_ground_an_explanation_and_at_least_one_law() -> None:
    assert set(DENIAL_GROUNDS) == set(DenialReason)
    for ground in DENIAL_GROUNDS.values():
        assert ground.title
        assert len(ground.explanation) > 40
        assert ground.citations
        assert ground.applies_to


def test_every_drp_denial_code_is_reachable_from_some_reason() -> None:
    assert {g.drp for g in DENIAL_GROUNDS.values()} == set(DRPDenialReason)


@pytest.mark.parametrize(
    ("reason", "drp"),
    [
        (R.identity_not_verified, DRPDenialReason.insuf_verification),
        (R.suspected_fraud, DRPDenialReason.suspected_fraud),
        (R.no_match, DRPDenialReason.no_match),
        (R.excessive, DRPDenialReason.too_many_requests),
        (R.outside_jurisdiction, DRPDenialReason.outside_jurisdiction),
        (R.legal_claims, DRPDenialReason.claim_not_covered),
        (R.ccpa_security_integrity, DRPDenialReason.claim_not_covered),
        (R.manifestly_unfounded, DRPDenialReason.other),
    ],
)
def test_each_reason_maps_to_its_drp_code(reason: DenialReason, drp: DRPDenialReason) -> None:
    assert DENIAL_GROUNDS[reason].drp is drp


def test_erasure_exceptions_of_article_17_3_are_cited_to_their_point() -> None:
    points = {
        R.freedom_of_expression: "(a)",
        R.legal_obligation: "(b)",
        R.public_health: "(c)",
        R.archiving_research: "(d)",
        R.legal_claims: "(e)",
    }
    for reason, point in points.items():
        assert check_denial(reason=reason, request_type=T.erasure, jurisdiction=J.gdpr)
        assert f"Art. 17(3){point}" in (DENIAL_GROUNDS[reason].citation_under(J.fr) or "")


def test_a_gdpr_erasure_cannot_be_refused_with_a_ccpa_exemption_nor_the_reverse() -> None:
    with pytest.raises(DenialError, match=r"ccpa_debugging.*under `gdpr`"):
        check_denial(reason=R.ccpa_debugging, request_type=T.erasure, jurisdiction=J.gdpr)
    with pytest.raises(DenialError):
        check_denial(reason=R.public_health, request_type=T.erasure, jurisdiction=J.ccpa)
    ground = check_denial(reason=R.ccpa_debugging, request_type=T.erasure, jurisdiction=J.ccpa)
    assert ground.citation_under(J.ccpa) == "Cal. Civ. Code §1798.105(d)(3)"


def test_the_eight_ccpa_deletion_exceptions_are_all_there() -> None:
    ccpa_erasure = [r for r in valid_reasons(T.erasure, J.ccpa) if r.value.startswith("ccpa_")]
    assert len(ccpa_erasure) == 8


def test_an_opt_out_may_be_refused_as_fraud_but_never_for_unverified_identity() -> None:
    reasons = valid_reasons(T.opt_out_sale_sharing, J.ccpa)
    assert R.suspected_fraud in reasons
    assert R.identity_not_verified not in reasons  # 11 CCR §7026(d)
    assert R.excessive not in reasons


def test_objection_to_direct_marketing_and_consent_withdrawal_are_not_refused_as_excessive() -> (
    None
):
    for request_type in (T.objection_direct_marketing, T.consent_withdrawal):
        reasons = valid_reasons(request_type, J.gdpr)
        assert R.excessive not in reasons
        assert R.manifestly_unfounded not in reasons
        assert R.compelling_legitimate_grounds not in reasons


def test_compelling_legitimate_grounds_answer_only_an_objection_to_a_purpose() -> None:
    assert (
        check_denial(
            reason=R.compelling_legitimate_grounds, request_type=T.objection, jurisdiction=J.gdpr
        ).citation_under(J.gdpr)
        == "GDPR Art. 21(1)"
    )
    with pytest.raises(DenialError):
        check_denial(
            reason=R.compelling_legitimate_grounds, request_type=T.erasure, jurisdiction=J.gdpr
        )


def test_rights_of_others_limit_access_and_portability() -> None:
    assert R.rights_of_others in valid_reasons(T.access, J.uk)
    assert R.rights_of_others in valid_reasons(T.portability, J.gdpr)
    assert R.rights_of_others not in valid_reasons(T.erasure, J.gdpr)
    assert DENIAL_GROUNDS[R.rights_of_others].citation_under(J.uk) == "UK GDPR Art. 15(4), 20(4)"


def test_a_complaint_is_answered_and_never_refused() -> None:
    assert valid_reasons(T.complaint, J.gdpr) == []
    with pytest.raises(DenialError, match="Reasons that can: none"):
        check_denial(reason=R.manifestly_unfounded, request_type=T.complaint, jurisdiction=J.gdpr)


def test_with_no_applicable_law_only_outside_jurisdiction_fits() -> None:
    assert valid_reasons(T.access, None) == [R.outside_jurisdiction]
    assert valid_reasons(T.restriction, J.ccpa) == [R.outside_jurisdiction]
    with pytest.raises(DenialError, match=r"when no law applies.*outside_jurisdiction"):
        check_denial(reason=R.legal_claims, request_type=T.erasure, jurisdiction=None)


def test_the_refusal_notice_cites_article_12_4_or_the_ccpa_regulations() -> None:
    assert denial_notice(J.fr).startswith("GDPR Art. 12(4)")
    assert "supervisory authority" in denial_notice(J.gdpr)
    assert denial_notice(J.ccpa).startswith("11 CCR §7022")


def test_identity_reasons_fit_exactly_the_requests_that_need_proof_of_identity() -> None:
    needs_proof = {
        t
        for t in RequestType
        if t is not T.complaint and R.identity_not_verified in valid_reasons(t, J.fr)
    }
    assert needs_proof == {
        T.access,
        T.portability,
        T.rectification,
        T.erasure,
        T.restriction,
        T.objection,
        T.post_mortem,
    }
