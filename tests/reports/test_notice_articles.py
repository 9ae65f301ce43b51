"""The example company's notice gives every item GDPR Art. 13 and Art. 14 ask for.

One test per item: each asserts that the specific content the map declares for it (names,
addresses, periods, consequences, sources…) is in the section that must carry it, not only
that a heading exists.
"""

from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest

from lawful.datamap import facts
from lawful.datamap.loader import load_datamap
from lawful.datamap.models import DataMap, LegalBasis
from lawful.reports.notice import build_notice, write_notice

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "contact-center" / "lawful.yaml"


class _Sections(HTMLParser):
    """The text of each <section id=…> of the HTML notice, whitespace collapsed."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: dict[str, list[str]] = {}
        self._current: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "section" and found.get("id"):
            self._current = found["id"]
            self.parts[self._current or ""] = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self._current = None

    def handle_data(self, data: str) -> None:
        if self._current:
            self.parts[self._current].append(data)

    def text(self, section: str) -> str:
        return " ".join(" ".join(self.parts[section]).split())


Notice = tuple[DataMap, _Sections]


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Notice:
    datamap = load_datamap(EXAMPLE).datamap
    out = tmp_path_factory.mktemp("notice")
    write_notice(load_datamap(EXAMPLE), out_dir=out)
    page = _Sections()
    page.feed((out / "privacy-notice.html").read_text(encoding="utf-8"))
    return datamap, page


def _ours(datamap: DataMap) -> dict[str, object]:
    return dict(facts.controlled_by_us(datamap))


# --- each item, checked once; Art. 13 and Art. 14 share most of them ------------------------


def controller_identity(datamap: DataMap, page: _Sections) -> None:
    """13(1)(a), 14(1)(a): identity and contact details of the controller."""
    org = datamap.organization
    text = page.text("who-we-are")
    assert f"{org.name}, trading as {org.trading_name}, is the controller" in text
    assert org.address.street in text
    assert org.address.city in text
    assert org.contact.email
    assert f"Email: {org.contact.email}" in text
    assert org.contact.phone
    assert org.contact.phone in text


def dpo_contact(datamap: DataMap, page: _Sections) -> None:
    """13(1)(b), 14(1)(b): contact details of the data protection officer."""
    dpo = datamap.organization.dpo
    assert dpo is not None
    assert dpo.email
    text = page.text("who-we-are")
    assert (
        f"data protection officer answers any question about this notice or about your data: Email: {dpo.email}"
        in text
    )


def purposes_and_bases(datamap: DataMap, page: _Sections) -> None:
    """13(1)(c), 14(1)(c): the purposes and the legal basis of each."""
    text = page.text("purposes")
    for purpose in facts.controlled_by_us(datamap).values():
        assert purpose.name in text
        assert facts.legal_basis_name(purpose.legal_basis) in text
    payroll = datamap.purposes["payroll"]
    assert payroll.legal_basis is LegalBasis.legal_obligation
    assert "Legal obligation (GDPR Art. 6(1)(c))" in text


def legitimate_interests(datamap: DataMap, page: _Sections) -> None:
    """13(1)(d), 14(2)(b): the legitimate interests pursued."""
    text = page.text("purposes")
    interests = [
        p.legitimate_interest
        for p in facts.controlled_by_us(datamap).values()
        if p.legal_basis is LegalBasis.legitimate_interests
    ]
    assert len(interests) >= 5
    for interest in interests:
        assert interest
        assert f"Our interest: {interest}" in text


def categories_of_data(datamap: DataMap, page: _Sections) -> None:
    """14(1)(d): the categories of personal data concerned, for each group of people."""
    text = page.text("data-we-collect")
    for sid in facts.our_subjects(datamap):
        assert datamap.subjects[sid].name in text
        for category in facts.subject_categories(datamap, sid):
            assert facts.category_label(datamap, category) in text
    assert "Criminal convictions and offences" in text


def recipients(datamap: DataMap, page: _Sections) -> None:
    """13(1)(e), 14(1)(e): the recipients or categories of recipients, affiliates and a
    buyer in a merger included."""
    text = page.text("recipients")
    for rid, recipient in datamap.recipients.items():
        assert (recipient.name in text) == facts.serves_us(datamap, rid), rid
    assert "Voxaria Hellas Single-Member P.C. — Our Greek subsidiary" in text
    assert "Company of our group GR" in text
    assert "A buyer or successor of our business" in text
    assert "in a merger, acquisition or sale of assets" in text


def transfers(datamap: DataMap, page: _Sections) -> None:
    """13(1)(f), 14(1)(f): transfers to third countries, their safeguard, and how to get a copy."""
    text = page.text("transfers")
    assert "Pipeline Cloud Inc. US EU-US Data Privacy Framework" in text
    assert "AdMosaic Inc. US Standard contractual clauses (GDPR Art. 46(2)(c))" in text
    assert "Clearline Screening Ltd GB Adequacy decision (GDPR Art. 45)" in text
    assert "obtain a copy of these safeguards" in text


def retention(datamap: DataMap, page: _Sections) -> None:
    """13(2)(a), 14(2)(a): the period for which the data is stored."""
    text = page.text("retention")
    for rid, rule in datamap.retention.items():
        if facts.rule_concerns_us(datamap, rule):
            assert facts.capitalised(facts.words(rid)) in text
            assert facts.human_duration(rule.period) in text
    assert "Candidates not hired (candidates) 2 years last activity Deleted" in text
    assert "Invoices" in text
    assert "10 years issued Deleted" in text


def rights(datamap: DataMap, page: _Sections) -> None:
    """13(2)(b), 14(2)(c): access, rectification, erasure, restriction, objection, portability."""
    text = page.text("your-rights")
    for right in (
        "Access (GDPR Art. 15)",
        "Rectification (GDPR Art. 16)",
        "Erasure (GDPR Art. 17)",
        "Restriction (GDPR Art. 18)",
        "Objection (GDPR Art. 21(1))",
        "Portability (GDPR Art. 20)",
    ):
        assert right in text
    # The objection names the purposes that rest on legitimate interests.
    assert datamap.purposes["background_screening"].name in text
    assert datamap.organization.requests
    assert datamap.organization.requests.url
    assert datamap.organization.requests.url in text


def consent_withdrawal(datamap: DataMap, page: _Sections) -> None:
    """13(2)(c), 14(2)(d): the right to withdraw consent, for each purpose based on it."""
    text = page.text("your-rights")
    assert "Withdrawing consent (GDPR Art. 7(3))" in text
    consented = [p for p in _ours(datamap).values() if getattr(p, "consent", None)]
    assert len(consented) == 3
    for purpose in facts.controlled_by_us(datamap).values():
        if purpose.legal_basis is LegalBasis.consent:
            assert purpose.consent
            assert purpose.consent.withdrawal
            assert f"{purpose.name} : {purpose.consent.withdrawal}" in text  # bold, then text


def complaint(datamap: DataMap, page: _Sections) -> None:
    """13(2)(d), 14(2)(e): the right to lodge a complaint with a supervisory authority."""
    authority = datamap.organization.lead_authority
    assert authority is not None
    assert authority.url
    text = page.text("complaints")
    assert "lodge a complaint" in text
    assert "(GDPR Art. 77)" in text
    assert f"Our lead supervisory authority is {authority.name}" in text
    assert authority.url in text


def requirement_and_consequence(datamap: DataMap, page: _Sections) -> None:
    """13(2)(e): whether giving the data is a statutory or contractual requirement, or one to
    enter a contract, whether the person must give it, and the consequence of not giving it."""
    text = page.text("purposes")
    for purpose in facts.controlled_by_us(datamap).values():
        assert purpose.provision is not None, purpose.name
        assert facts.sentence(purpose.provision.consequence) in text
    assert (
        "The law requires us to collect it. You must give it. If you do not: The law forbids "
        "us to employ you until the check is done (C. trav. L5221-8)." in text
    )
    assert (
        "We need it to enter into a contract with you. You must give it. If you do not: We "
        "cannot consider your application." in text
    )
    assert "Our contract with you requires it." in text
    assert (
        "Neither the law nor a contract requires it. You are free not to give it. If you do "
        "not: Nothing: your application is assessed in exactly the same way." in text
    )


def automated_decisions(datamap: DataMap, page: _Sections) -> None:
    """13(2)(f), 14(2)(g): automated decision-making, with its logic when there is any."""
    assert not any(p.automated_decisions for p in datamap.purposes.values())
    text = page.text("your-rights")
    assert "Automated decisions (GDPR Art. 22): no decision with legal or similarly" in text


def sources(datamap: DataMap, page: _Sections) -> None:
    """14(2)(f): from which source the data originate."""
    text = page.text("data-we-collect")
    for sid in facts.our_subjects(datamap):
        for source in datamap.subjects[sid].sources:
            assert facts.capitalised(source) in text
    assert "Where it comes from: The candidate Job boards Recruitment agencies" in text


ITEMS: dict[str, Callable[[DataMap, _Sections], None]] = {
    "13(1)(a)": controller_identity,
    "13(1)(b)": dpo_contact,
    "13(1)(c)": purposes_and_bases,
    "13(1)(d)": legitimate_interests,
    "13(1)(e)": recipients,
    "13(1)(f)": transfers,
    "13(2)(a)": retention,
    "13(2)(b)": rights,
    "13(2)(c)": consent_withdrawal,
    "13(2)(d)": complaint,
    "13(2)(e)": requirement_and_consequence,
    "13(2)(f)": automated_decisions,
    "14(1)(a)": controller_identity,
    "14(1)(b)": dpo_contact,
    "14(1)(c)": purposes_and_bases,
    "14(1)(d)": categories_of_data,
    "14(1)(e)": recipients,
    "14(1)(f)": transfers,
    "14(2)(a)": retention,
    "14(2)(b)": legitimate_interests,
    "14(2)(c)": rights,
    "14(2)(d)": consent_withdrawal,
    "14(2)(e)": complaint,
    "14(2)(f)": sources,
    "14(2)(g)": automated_decisions,
}


@pytest.mark.parametrize("item", list(ITEMS))
def test_the_example_notice_gives_the_item(item: str, example: Notice) -> None:
    ITEMS[item](*example)


def test_an_automated_decision_is_announced_with_its_logic(example: Notice) -> None:
    datamap, _ = example
    logic = "A score from the CV's keywords ranks applications; a recruiter reads every one."
    purposes = dict(datamap.purposes)
    purposes["recruitment"] = purposes["recruitment"].model_copy(
        update={"automated_decisions": logic}
    )
    notice = build_notice(datamap.model_copy(update={"purposes": purposes}))
    rights = next(s for s in notice.sections if s.id == "your-rights")
    assert logic.rstrip(".") in repr(rights.blocks)


# --- the notice's other promises, from the map ----------------------------------------------


def test_the_notice_lists_each_api_scope_with_why(example: Notice) -> None:
    datamap, page = example
    text = page.text("api-access")
    scopes = datamap.systems["ats"].api_scopes
    assert len(scopes) == 2
    for scope in scopes:
        assert f"Applicant tracking Google {scope.scope} {facts.sentence(scope.why)}" in text


def test_the_notice_says_how_do_not_track_and_gpc_are_answered(example: Notice) -> None:
    datamap, page = example
    text = page.text("cookies")
    signals = datamap.organization.browser_signals
    assert signals is not None
    assert signals.explanation
    assert "Do Not Track. When your browser sends a Do Not Track signal, we honour it." in text
    assert signals.explanation in text
    assert "Global Privacy Control. When your browser sends a Global Privacy Control signal" in text


def test_the_notice_excludes_deidentified_and_aggregated_data(example: Notice) -> None:
    datamap, page = example
    data = datamap.organization.deidentified_data
    assert data is not None
    text = page.text("data-we-collect")
    assert "We also keep de-identified and aggregated data that can no longer be linked" in text
    assert "this notice does not cover it (Cal. Civ. Code §1798.140(m), §1798.145(a)(6))" in text
    assert data.uses in text


def test_every_tracker_is_described_in_the_notice(example: Notice) -> None:
    datamap, page = example
    text = page.text("cookies")
    for tracker in datamap.trackers.values():
        assert tracker.description
        assert f"{tracker.name} {tracker.provider}" in text
        assert tracker.description in text
