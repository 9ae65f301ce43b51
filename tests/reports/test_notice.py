"""The privacy notice: every section present, driven by the map, in our own words."""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lawful.cli import app
from lawful.datamap.loader import LoadedMap, load_datamap
from lawful.reports.document import slug
from lawful.reports.notice import TITLES, write_notice

SMALL_MAP = Path(__file__).parent / "fixtures" / "small.yaml"
SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
EditMap = Callable[[Callable[[dict[str, Any]], None]], LoadedMap]

SECTION_IDS = [
    "who-we-are",
    "data-we-collect",
    "purposes",
    "recipients",
    "transfers",
    "retention",
    "your-rights",
    "complaints",
    "children",
    "cookies",
    "ccpa",
    "changes",
]


class _Page(HTMLParser):
    """The text of each <section id=…> of a page, and the <html lang>."""

    def __init__(self) -> None:
        super().__init__()
        self.lang: str | None = None
        self.sections: dict[str, list[str]] = {}
        self._current: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "html":
            self.lang = found.get("lang")
        if tag == "section" and found.get("id"):
            self._current = found["id"]
            self.sections[self._current or ""] = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self._current = None

    def handle_data(self, data: str) -> None:
        if self._current:
            self.sections[self._current].append(data)

    def text(self, section: str) -> str:
        return " ".join(" ".join(self.sections[section]).split())


def _render(loaded: LoadedMap, out: Path) -> tuple[_Page, str]:
    paths = {p.name: p for p in write_notice(loaded, out_dir=out)}
    assert sorted(paths) == ["privacy-notice.html", "privacy-notice.md"]
    page = _Page()
    page.feed(paths["privacy-notice.html"].read_text(encoding="utf-8"))
    return page, paths["privacy-notice.md"].read_text(encoding="utf-8")


@pytest.fixture
def notice(small_map: LoadedMap, tmp_path: Path) -> tuple[_Page, str]:
    return _render(small_map, tmp_path / "notice")


# --- structure ---------------------------------------------------------------------------------


def test_every_section_has_a_stable_html_id_and_a_matching_markdown_heading(
    notice: tuple[_Page, str],
) -> None:
    page, markdown = notice
    assert list(page.sections) == SECTION_IDS
    headings = re.findall(r"^## (.+)$", markdown, flags=re.MULTILINE)
    assert [slug(heading) for heading in headings] == SECTION_IDS
    assert all(slug(TITLES[section]) == section for section in SECTION_IDS)


def test_the_page_is_well_formed_declares_its_language_and_carries_its_own_styles(
    small_map: LoadedMap, tmp_path: Path, assert_well_formed: Callable[[str], None]
) -> None:
    page, _ = _render(small_map, tmp_path)
    assert page.lang == "en"
    html = (tmp_path / "privacy-notice.html").read_text(encoding="utf-8")
    assert_well_formed(html)
    assert "<style>" in html
    assert "<link " not in html
    assert "<script" not in html


# --- content, section by section ---------------------------------------------------------------


def test_who_we_are_names_the_controller_the_dpo_and_the_representative(
    notice: tuple[_Page, str],
) -> None:
    text = notice[0].text("who-we-are")
    assert "Quillfeather Relations SAS, trading as Quillfeather, is the controller" in text
    assert "4 quai Test, 69002 Lyon, FR" in text
    assert "Odile Marchetti" in text
    assert "dpo@quillfeather.example" in text
    assert "Westbridge Privacy Rep Ltd" in text
    assert "we forward it to the client concerned" in text


def test_data_we_collect_lists_each_kind_of_person_with_categories_and_sources(
    notice: tuple[_Page, str],
) -> None:
    text = notice[0].text("data-we-collect")
    for subject in ("Job applicants", "Business prospects", "Website visitors"):
        assert subject in text
    assert "CV and cover letter" in text
    assert "Health data (special category, GDPR Art. 9)" in text
    assert "Where it comes from: Our careers page Job boards The applicant, through" in text
    assert "Trade fairs" in text
    assert "Customers of our banking client" not in text  # the client's notice covers them


def test_purposes_give_their_legal_basis_and_spell_out_legitimate_interests(
    notice: tuple[_Page, str],
) -> None:
    text = notice[0].text("purposes")
    assert "Hiring agents" in text
    assert "Legitimate interests (GDPR Art. 6(1)(f)). Our interest: Finding and hiring" in text
    assert "Consent (GDPR Art. 6(1)(a))" in text
    assert "Employment and social security law (GDPR Art. 9(2)(b))" in text
    assert "direct marketing by email" in text
    assert "Answering calls for Northwind Bank" not in text


def test_recipients_and_transfers_show_countries_and_safeguards(
    notice: tuple[_Page, str],
) -> None:
    page = notice[0]
    recipients = page.text("recipients")
    assert "HireHub SAS" in recipients
    assert "MailWave LLC" in recipients
    assert "VoiceCloud Inc." not in recipients  # only serves a client
    transfers = page.text("transfers")
    assert "MailWave LLC US Standard contractual clauses (GDPR Art. 46(2)(c))" in transfers
    assert "SalesDesk Inc. US EU-US Data Privacy Framework" in transfers
    assert "obtain a copy of these safeguards" in transfers


def test_retention_gives_each_period_in_words(notice: tuple[_Page, str]) -> None:
    text = notice[0].text("retention")
    # Rows are named by their rule and what it covers; the description says why, at the end.
    assert (
        "Applications (applications) 2 years closed Deleted Applications that did not lead to "
        "a hire; CNIL recruitment guidance" in text
    )
    assert "Prospects (Business prospects) 3 years last contact Deleted" in text
    assert "Applications that did not lead to a hire 2 years" not in text
    assert "13 months" not in text  # the client's call recordings are not ours to announce


def test_your_rights_cover_every_gdpr_right_and_how_to_use_them(
    notice: tuple[_Page, str],
) -> None:
    text = notice[0].text("your-rights")
    for right in (
        "Access (GDPR Art. 15)",
        "Rectification (GDPR Art. 16)",
        "Erasure (GDPR Art. 17)",
        "Restriction (GDPR Art. 18)",
        "Objection (GDPR Art. 21(1))",
        "Objection to direct marketing (GDPR Art. 21(2)–(3))",
        "Portability (GDPR Art. 20)",
        "Withdrawing consent (GDPR Art. 7(3))",
        "Automated decisions (GDPR Art. 22)",
    ):
        assert right in text
    assert "Your data is then never used for marketing again. Today this covers: Email" in text
    assert (
        "How to withdraw a consent: Email prospecting : the unsubscribe link in every email."
        in text
    )
    assert "https://quillfeather.example/privacy" in text
    assert "privacy@quillfeather.example" in text
    assert "+1 800 555 0100" in text


def test_complaints_name_the_lead_authority(notice: tuple[_Page, str]) -> None:
    text = notice[0].text("complaints")
    assert "Commission nationale de l'informatique et des libertés (CNIL)" in text
    assert "https://www.cnil.fr" in text
    assert "GDPR Art. 77" in text


def test_children_shows_minimum_ages_and_the_ages_of_digital_consent(
    notice: tuple[_Page, str],
) -> None:
    text = notice[0].text("children")
    assert "Job applicants: 18 years or older" in text
    assert "Website visitors: 15 years or older" in text
    assert "16 under GDPR Art. 8(1)" in text
    assert "15 under Loi Informatique et Libertés art. 45" in text


def test_cookies_lists_each_tracker_with_category_and_lifetime(
    notice: tuple[_Page, str],
) -> None:
    text = notice[0].text("cookies")
    assert "qf_session Quillfeather Strictly necessary 1 day" in text
    assert "_qa_id Quillfeather Audience measurement 13 months" in text
    assert "exempt audience measurement (CNIL guidance)" in text


def test_the_ccpa_section_tables_categories_disclosures_and_sensitive_data(
    notice: tuple[_Page, str],
) -> None:
    text = notice[0].text("ccpa")
    assert "Identifiers (Cal. Civ. Code §1798.140(v)(1)(A))" in text
    assert "Disclosed for a business purpose to" in text
    assert "HireHub SAS, SalesDesk Inc., MailWave LLC No one" in text
    assert "We do not sell or share your personal information." in text
    assert "Health data, for: Adjusting interviews for disabilities" in text
    for right in (
        "Right to know",
        "Right to delete",
        "Right to correct",
        "Right to opt out of sale or sharing",
        "Right to limit the use of sensitive personal information",
        "Right to non-discrimination",
    ):
        assert right in text
    assert "+1 800 555 0100" in text


def test_changes_give_the_version_and_the_date(notice: tuple[_Page, str]) -> None:
    assert "This is version 2.1 of this notice, last updated on 1 March 2026." in notice[0].text(
        "changes"
    )


# --- driven by the map -------------------------------------------------------------------------


def test_the_notice_follows_changes_to_the_map(edit_map: EditMap, tmp_path: Path) -> None:
    def change(raw: dict[str, Any]) -> None:
        raw["organization"]["name"] = "Bramblewick Contact Ltd"
        del raw["organization"]["trading_name"]
        raw["organization"]["jurisdictions"] = ["gdpr", "fr"]
        raw["recipients"]["nimbus"] = {
            "name": "Nimbus Metrics Inc.",
            "role": "processor",
            "country": "US",
            "transfer": {"mechanism": "scc"},
            "purposes": ["site_analytics"],
        }
        raw["retention"]["prospects"]["period"] = "P5Y"

    page, markdown = _render(edit_map(change), tmp_path / "changed")
    assert "Bramblewick Contact Ltd is the controller" in page.text("who-we-are")
    assert "Quillfeather Relations SAS" not in markdown
    assert "trading as" not in page.text("who-we-are")
    assert "Nimbus Metrics Inc." in page.text("recipients")
    assert "Nimbus Metrics Inc. US Standard contractual clauses" in page.text("transfers")
    assert "Prospects (Business prospects) 5 years" in page.text("retention")
    assert "3 years" not in page.text("retention")
    assert "ccpa" not in page.sections
    assert "## CCPA" not in markdown
    assert "Right to know" not in markdown
    assert "15 under Loi Informatique" in page.text("children")
    assert "Law 4624/2019" not in page.text("children")  # Greece no longer listed


def test_a_recipient_that_buys_data_turns_the_ccpa_statement_around(
    edit_map: EditMap, tmp_path: Path
) -> None:
    def sell(raw: dict[str, Any]) -> None:
        raw["recipients"]["leadmart"] = {
            "name": "LeadMart Data Co.",
            "role": "partner",
            "country": "US",
            "transfer": {"mechanism": "scc"},
            "purposes": ["prospecting"],
            "sale": True,
        }

    page, _ = _render(edit_map(sell), tmp_path / "selling")
    text = page.text("ccpa")
    assert "We do not sell or share your personal information." not in text
    assert "We sell personal information to LeadMart Data Co." in text
    assert "We do not share your personal information for cross-context advertising." in text
    assert "Global Privacy Control" in text


def test_without_trackers_the_notice_says_none_are_set(edit_map: EditMap, tmp_path: Path) -> None:
    def no_trackers(raw: dict[str, Any]) -> None:
        raw["trackers"] = {}

    page, _ = _render(edit_map(no_trackers), tmp_path / "plain")
    text = page.text("cookies")
    assert text.startswith("Cookies We place no cookies or similar trackers on your device. ")
    assert "Cookies and similar trackers" not in text


def test_markdown_escapes_syntax_in_values_from_the_map(edit_map: EditMap, tmp_path: Path) -> None:
    def awkward(raw: dict[str, Any]) -> None:
        raw["subjects"]["applicant"]["name"] = "Agents | *senior* <staff>"

    page, markdown = _render(edit_map(awkward), tmp_path / "awkward")
    assert r"Agents \| \*senior\* \<staff\>" in markdown
    assert "Agents | *senior* <staff>" in page.text("data-we-collect")  # HTML: escaped, shown as is


# --- our own words -----------------------------------------------------------------------------


def _normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def _seed_sentences() -> list[str]:
    sentences = [
        _normalise(sentence)
        for seed in sorted(SEEDS.glob("*.txt"))
        for sentence in re.split(r"(?<=[.!?;:])\s+|\n+", seed.read_text(encoding="utf-8"))
    ]
    return [s for s in sentences if len(s.split()) >= 8]


def test_no_sentence_of_the_seed_notices_appears_in_the_notice(
    notice: tuple[_Page, str],
) -> None:
    seeds = _seed_sentences()
    assert len(seeds) > 100  # the seeds are there and were read
    generated = _normalise(notice[1])
    assert [sentence for sentence in seeds if sentence in generated] == []


def test_the_notice_command_writes_both_files(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["notice", "-m", str(SMALL_MAP), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "privacy-notice.html").is_file()
    assert (tmp_path / "privacy-notice.md").is_file()


# --- the example company -----------------------------------------------------------------------

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "contact-center" / "lawful.yaml"


@pytest.fixture
def example_notice(tmp_path: Path) -> tuple[LoadedMap, _Page, str]:
    assert EXAMPLE.is_file(), f"the example map is missing: {EXAMPLE}"
    loaded = load_datamap(EXAMPLE)
    page, markdown = _render(loaded, tmp_path / "example")
    return loaded, page, markdown


def test_the_example_notice_has_every_section_and_names_what_the_map_holds(
    example_notice: tuple[LoadedMap, _Page, str],
) -> None:
    loaded, page, _ = example_notice
    datamap = loaded.datamap
    has_ccpa = "ccpa" in [j.value for j in datamap.organization.jurisdictions]
    expected = [s for s in SECTION_IDS if has_ccpa or s != "ccpa"]
    # The example's ATS holds Google API scopes: they get a section after the transfers.
    expected.insert(expected.index("transfers") + 1, "api-access")
    assert list(page.sections) == expected
    assert datamap.organization.name in page.text("who-we-are")
    for purpose in datamap.purposes.values():
        assert (purpose.name in page.text("purposes")) == (purpose.controller == "us")
    if datamap.organization.lead_authority:
        assert datamap.organization.lead_authority.name in page.text("complaints")
    for tracker in datamap.trackers.values():
        assert tracker.name in page.text("cookies")


def test_the_example_notice_uses_none_of_the_seed_sentences(
    example_notice: tuple[LoadedMap, _Page, str],
) -> None:
    generated = _normalise(example_notice[2])
    assert [sentence for sentence in _seed_sentences() if sentence in generated] == []


def test_the_notice_command_accepts_the_example(
    tmp_path: Path, assert_well_formed: Callable[[str], None]
) -> None:
    result = CliRunner().invoke(app, ["notice", "-m", str(EXAMPLE), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert_well_formed((tmp_path / "privacy-notice.html").read_text(encoding="utf-8"))
