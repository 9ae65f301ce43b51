"""Drafts: the authority's notification holds every item of GDPR Art. 33(3)(a)–(d), says
what is still to come (Art. 33(4)) and why it is late (Art. 33(1)); the message to people
holds what Art. 34(2) asks; a client is told what it needs as controller (Art. 33(2))."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import pytest

from lawful.breach.drafts import NOT_YET, DraftError, make_draft, render_draft
from lawful.breach.models import Incident, OurRole, Risk
from lawful.datamap.loader import load_datamap
from lawful.datamap.models import DataMap

EXAMPLE = Path(__file__).parents[2] / "examples" / "contact-center" / "lawful.yaml"
AWARE = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
NOW = AWARE + timedelta(hours=30)


@pytest.fixture(scope="module")
def datamap() -> DataMap:
    return load_datamap(EXAMPLE).datamap


def _incident(**given: Any) -> Incident:
    """An incident as the register holds it after a count and two phases (not stored)."""
    values: dict[str, Any] = {
        "reference": "BR-2026-0007",
        "title": "Recruitment exports on a stolen laptop",
        "our_role": OurRole.controller,
        "became_aware_at": AWARE,
        "occurred_from": AWARE - timedelta(hours=20),
        "systems": ["ats"],
        "datasets": ["candidates", "background_checks"],
        "kinds": ["confidentiality"],
        "nature": "An unencrypted laptop holding exports of candidates was stolen.",
        "consequences": "Identity fraud; disclosure of criminal-record checks.",
        "measures_taken": "The laptop was wiped remotely.",
        "measures_proposed": "Disk encryption on every laptop by 1 December.",
        "advice_to_people": "Be wary of calls claiming to come from our recruiters.",
        "people_count": 1234,
        "records_count": {"candidates": 1234, "background_checks": 310},
        "unidentified_records": 0,
        "categories": ["contact.email", "criminal.record"],
        "subjects": ["applicant"],
        "counted_at": AWARE + timedelta(hours=2),
        "risk": Risk.high,
        "exemptions": [],
        "updates": [],
        "reported_by": None,
    } | given
    return Incident(**values)


ART_33_3 = {
    "(a) nature": "An unencrypted laptop holding exports of candidates was stolen.",
    "(a) categories of people": "Job applicants",
    "(a) number of people": "About 1,234 people",
    "(a) categories of records": "Criminal convictions and offences",
    "(a) number of records": "About 1,544 records",
    "(b) DPO name": "Data protection officer",
    "(b) DPO contact": "dpo@voxaria.example",
    "(c) consequences": "Identity fraud; disclosure of criminal-record checks.",
    "(d) measures taken": "The laptop was wiped remotely.",
    "(d) measures proposed": "Disk encryption on every laptop by 1 December.",
}


@pytest.mark.parametrize("kind", ["md", "html"])
def test_the_authority_draft_holds_every_item_of_article_33_3(datamap: DataMap, kind: str) -> None:
    draft = make_draft(incident=_incident(), datamap=datamap, audience="authority", now=NOW)
    text = _plain(render_draft(draft, kind=kind))  # type: ignore[arg-type]
    missing = [item for item, words in ART_33_3.items() if words not in text]
    assert missing == []
    for provision in ("Art. 33(3)(a)", "Art. 33(3)(b)", "Art. 33(3)(c)", "Art. 33(3)(d)"):
        assert provision in text
    assert "Commission nationale de l'informatique et des libertés (CNIL)" in text
    assert "This notification gives every item GDPR Art. 33(3) asks for." in text
    assert draft.pending == []


def test_items_not_known_yet_are_said_to_follow_in_phases(datamap: DataMap) -> None:
    incident = _incident(consequences=None, measures_taken=None, measures_proposed=None,
                         people_count=None, counted_at=None)  # fmt: skip
    draft = make_draft(incident=incident, datamap=datamap, audience="authority", now=NOW)
    text = render_draft(draft, kind="md")
    assert {i.key for i in draft.pending} == {"Art. 33(3)(a)", "Art. 33(3)(c)", "Art. 33(3)(d)"}
    assert text.count(NOT_YET) == 3
    assert "Number of people: not counted yet" in text
    assert re.search(r"provided in phases .*\(GDPR Art\. 33\(4\)\): Art\. 33\(3\)\(a\)", text)


def test_a_notification_after_72_hours_gives_the_reasons_for_the_delay(datamap: DataMap) -> None:
    late = AWARE + timedelta(hours=90)
    without = make_draft(incident=_incident(), datamap=datamap, audience="authority", now=late)
    assert "(GDPR Art. 33(1)): to be given before sending" in render_draft(without, kind="md")
    assert "Art. 33(1)" in {i.key for i in without.pending}
    given = _incident(delay_reasons="Our processor told us on day three.")
    text = render_draft(
        make_draft(incident=given, datamap=datamap, audience="authority", now=late), kind="md"
    )
    assert (
        "Reasons for notifying after 72 hours (GDPR Art. 33(1)): Our processor told us on day three."
        in text
    )


def test_a_processor_report_is_named_in_the_notification(datamap: DataMap) -> None:
    incident = _incident(reported_by="email_platform", reported_to_us_at=AWARE)
    text = render_draft(
        make_draft(incident=incident, datamap=datamap, audience="authority", now=NOW), kind="md"
    )
    assert "Our processor Postelia SAS reported the breach to us on 20 Nov 2026, 09:30 UTC." in text


def test_every_moment_of_a_draft_reads_in_the_installations_zone_with_summer_time(
    datamap: DataMap,
) -> None:
    athens = ZoneInfo("Europe/Athens")  # UTC+2 (EET) in winter, UTC+3 (EEST) in summer
    incident = _incident(
        occurred_from=datetime(2026, 7, 1, 21, 15, tzinfo=UTC),
        occurred_until=AWARE - timedelta(hours=1),
        reported_by="email_platform",
        reported_to_us_at=AWARE,
    )
    draft = make_draft(incident=incident, datamap=datamap, audience="authority", now=NOW,
                       zone=athens)  # fmt: skip
    text = render_draft(draft, kind="md")
    assert "We became aware of the breach on 20 Nov 2026, 11:30 EET." in text
    assert "The breach happened from 2 Jul 2026, 00:15 EEST until 20 Nov 2026, 10:30 EET." in text
    assert "the 72-hour period ends 23 Nov 2026, 11:30 EET." in text
    assert "counted in our systems on 20 Nov 2026, 13:30 EET" in text
    assert "reported the breach to us on 20 Nov 2026, 11:30 EET." in text
    assert "UTC" not in text
    html = render_draft(draft, kind="html")
    assert "20 Nov 2026, 11:30 EET" in html
    assert "UTC" not in html


def test_the_message_to_people_holds_what_article_34_2_asks_in_plain_words(
    datamap: DataMap,
) -> None:
    draft = make_draft(incident=_incident(), datamap=datamap, audience="people", now=NOW)
    text = render_draft(draft, kind="md")
    for words in (
        "An unencrypted laptop holding exports of candidates was stolen.",  # nature
        "dpo@voxaria.example",  # 33(3)(b)
        "Identity fraud; disclosure of criminal-record checks.",  # 33(3)(c)
        "The laptop was wiped remotely. Disk encryption on every laptop by 1 December.",  # (d)
        "Be wary of calls claiming to come from our recruiters.",
    ):
        assert words in text
    assert "Art. 33(3)" not in text  # plain words for people, no article numbers in headings


def test_a_public_notice_says_why_people_are_not_told_one_by_one(datamap: DataMap) -> None:
    draft = make_draft(incident=_incident(exemptions=["disproportionate"]), datamap=datamap,
                       audience="public", now=NOW)  # fmt: skip
    assert "disproportionate effort (GDPR Art. 34(3)(c))" in render_draft(draft, kind="md")


def test_a_client_is_told_about_its_own_datasets_only(datamap: DataMap) -> None:
    incident = _incident(our_role=OurRole.processor, systems=["contact_eu"],
                         datasets=["lumiere_customers", "lumiere_calls"],
                         records_count={"lumiere_customers": 80, "lumiere_calls": 400})  # fmt: skip
    draft = make_draft(incident=incident, datamap=datamap, audience="client", now=NOW)
    text = render_draft(draft, kind="md")
    assert draft.to.startswith(
        "Lumière Énergie SA (Data protection officer, dpo@lumiere-energie.example"
    )
    assert "lumiere\\_customers, lumiere\\_calls" in text
    assert "About 480 of your records" in text
    assert "(GDPR Art. 33(2))" in text
    with pytest.raises(DraftError, match="affects data of lumiere"):
        make_draft(
            incident=incident, datamap=datamap, audience="client", now=NOW, client="brightpath"
        )


def test_staff_text_is_escaped_in_both_formats(datamap: DataMap) -> None:
    incident = _incident(nature="<script>alert(1)</script> *bold* [link](x)")
    html = render_draft(
        make_draft(incident=incident, datamap=datamap, audience="authority", now=NOW), kind="html"
    )
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    markdown = render_draft(
        make_draft(incident=incident, datamap=datamap, audience="authority", now=NOW), kind="md"
    )
    assert r"\*bold\* \[link\](x)" in markdown


def test_the_html_draft_is_well_formed(datamap: DataMap) -> None:
    html = render_draft(
        make_draft(incident=_incident(), datamap=datamap, audience="authority", now=NOW),
        kind="html",
    )
    checker = _Balanced()
    checker.feed(html)
    assert checker.stack == []


class _Balanced(HTMLParser):
    VOID: ClassVar[set[str]] = {"meta", "br", "img", "input", "link", "hr"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack, tag
        assert self.stack[-1] == tag, (tag, self.stack)
        self.stack.pop()


def _plain(text: str) -> str:
    """Text without tags or Markdown escapes, for looking up phrases."""
    text = re.sub(r"<[^>]+>", " ", text).replace("&#39;", "'").replace("&amp;", "&")
    return re.sub(r"\\(.)", r"\1", re.sub(r"[ \t]+", " ", text))
