"""Request types: where each right exists, what it rests on, who must prove identity."""

from __future__ import annotations

import pytest

from lawful.datamap.models import Jurisdiction
from lawful.law.requests import (
    GDPR_FAMILY,
    REQUEST_TYPES,
    DeadlineKind,
    Regime,
    RequestType,
    regime_of,
    request_types_for,
    right_under,
)

J = Jurisdiction
T = RequestType


def test_every_request_type_of_the_design_has_a_spec_in_at_least_one_jurisdiction() -> None:
    assert set(REQUEST_TYPES) == set(RequestType)
    assert all(spec.rights and spec.title and spec.description for spec in REQUEST_TYPES.values())


@pytest.mark.parametrize(
    ("request_type", "article"),
    [
        (T.access, "GDPR Art. 15"),
        (T.rectification, "GDPR Art. 16"),
        (T.erasure, "GDPR Art. 17"),
        (T.restriction, "GDPR Art. 18"),
        (T.portability, "GDPR Art. 20"),
        (T.objection, "GDPR Art. 21(1)"),
        (T.objection_direct_marketing, "GDPR Art. 21(2)–(3)"),
        (T.consent_withdrawal, "GDPR Art. 7(3)"),
    ],
)
def test_gdpr_rights_rest_on_their_article(request_type: RequestType, article: str) -> None:
    right = right_under(request_type, J.gdpr)
    assert right is not None
    assert right.citation == article
    uk = right_under(request_type, J.uk)
    assert uk is not None
    assert uk.citation == f"UK {article}"


def test_opt_out_and_limit_exist_only_under_the_ccpa_and_need_no_verification() -> None:
    opt_out = right_under(T.opt_out_sale_sharing, J.ccpa)
    limit = right_under(T.limit_sensitive, J.ccpa)
    assert opt_out is not None
    assert limit is not None
    assert (opt_out.verify_identity, opt_out.verification_citation) == (False, "11 CCR §7026(d)")
    assert (limit.verify_identity, limit.verification_citation) == (False, "11 CCR §7027(e)")
    assert REQUEST_TYPES[T.opt_out_sale_sharing].jurisdictions == {J.ccpa}
    assert REQUEST_TYPES[T.limit_sensitive].jurisdictions == {J.ccpa}


def test_requests_to_know_delete_and_correct_need_verification_everywhere() -> None:
    for request_type in (T.access, T.portability, T.erasure, T.rectification):
        rights = REQUEST_TYPES[request_type].rights
        assert all(right.verify_identity for right in rights.values())
        ccpa = rights[J.ccpa]
        assert ccpa.deadline is DeadlineKind.ccpa_45_days
        assert "§7060" in ccpa.verification_citation


def test_stopping_marketing_or_withdrawing_consent_needs_no_proof_of_identity() -> None:
    assert not REQUEST_TYPES[T.objection_direct_marketing].verify_identity
    assert not REQUEST_TYPES[T.consent_withdrawal].verify_identity
    assert not REQUEST_TYPES[T.complaint].verify_identity


def test_post_mortem_directives_exist_only_under_french_spanish_and_italian_law() -> None:
    spec = REQUEST_TYPES[T.post_mortem]
    assert spec.jurisdictions == {J.fr, J.es, J.it}
    assert spec.rights[J.fr].citation == "Loi Informatique et Libertés art. 85"
    assert spec.verify_identity


def test_restriction_and_objection_do_not_exist_under_the_ccpa() -> None:
    assert right_under(T.restriction, J.ccpa) is None
    assert right_under(T.objection, J.ccpa) is None
    assert right_under(T.objection_direct_marketing, J.ccpa) is None


def test_gdpr_rights_of_articles_15_to_22_run_on_the_one_month_clock() -> None:
    for request_type in (T.access, T.rectification, T.erasure, T.restriction, T.portability):
        for jurisdiction in GDPR_FAMILY:
            right = right_under(request_type, jurisdiction)
            assert right is not None
            assert right.deadline is DeadlineKind.gdpr_one_month


def test_a_california_resident_sees_the_ccpa_request_types() -> None:
    assert request_types_for([J.ccpa]) == [
        T.access,
        T.portability,
        T.rectification,
        T.erasure,
        T.opt_out_sale_sharing,
        T.limit_sensitive,
        T.complaint,
    ]


def test_a_french_resident_sees_the_gdpr_types_and_post_mortem_directives() -> None:
    types = request_types_for([J.gdpr, J.fr])
    assert T.post_mortem in types
    assert T.restriction in types
    assert T.opt_out_sale_sharing not in types
    assert T.post_mortem not in request_types_for([J.gdpr, J.gr])


def test_each_jurisdiction_belongs_to_one_regime() -> None:
    assert regime_of(J.ccpa) is Regime.ccpa
    assert regime_of(J.uk) is Regime.uk_gdpr
    assert {regime_of(j) for j in GDPR_FAMILY - {J.uk}} == {Regime.gdpr}
