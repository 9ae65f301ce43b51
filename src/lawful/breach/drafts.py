"""Drafts of the messages a breach calls for, from the register and the data map, in
Markdown and HTML, for staff to check and send:

- to the supervisory authority: every item of GDPR Art. 33(3)(a)–(d), the timing (and the
  reasons for any delay past 72 hours, Art. 33(1)), and what is still to come (Art. 33(4));
- to the people affected, in clear and plain language (Art. 34(2)), or as a public
  communication when telling each would take disproportionate effort (Art. 34(3)(c));
- to a client whose data we process, so that it can meet its own duties (Art. 33(2)).

An item not yet known is never left out: it says so, and that it will follow in phases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from functools import cache
from typing import Literal

from jinja2 import Environment

from lawful.breach.assessment import EXEMPTIONS, Exemption
from lawful.breach.clock import breach_clock
from lawful.breach.models import Incident
from lawful.datamap import facts
from lawful.datamap.models import Contact, DataMap
from lawful.formats import moment as _moment
from lawful.jinja import environment, package_templates

Audience = Literal["authority", "people", "public", "client"]
AUDIENCES: tuple[Audience, ...] = ("authority", "people", "public", "client")
NOT_YET = (
    "Not known yet: it will be provided in a further phase, without undue delay (GDPR Art. 33(4))."
)


class DraftError(Exception):
    """This draft cannot be made for this incident; the message says why."""


@dataclass(frozen=True)
class Item:
    key: str  # the provision it answers, e.g. "Art. 33(3)(a)"
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    bullets: list[str] = field(default_factory=list)
    missing: bool = False


@dataclass(frozen=True)
class Draft:
    audience: Audience
    title: str
    to: str
    intro: list[str]
    items: list[Item]
    closing: list[str]

    @property
    def pending(self) -> list[Item]:
        return [item for item in self.items if item.missing]


def make_draft(
    *,
    incident: Incident,
    datamap: DataMap,
    audience: Audience,
    now: datetime,
    client: str | None = None,
    zone: tzinfo = UTC,
) -> Draft:
    """The draft for one audience; every moment in it reads in `zone`, the installation's
    (`LAWFUL_TIME_ZONE`, as on every page and mail)."""
    if audience == "authority":
        return authority_draft(incident, datamap, now, zone)
    if audience in {"people", "public"}:
        return people_draft(incident, datamap, public=audience == "public")
    return client_draft(incident, datamap, _client(incident, datamap, client), zone)


# --- the authority (Art. 33) ---------------------------------------------------------------


def authority_draft(
    incident: Incident, datamap: DataMap, now: datetime, zone: tzinfo = UTC
) -> Draft:
    organization = datamap.organization
    authority = organization.lead_authority
    phase = len([u for u in incident.updates if u.changed]) + 1
    items = [
        _timing(incident, now, zone),
        _nature(incident, datamap, zone),
        _contact_point(datamap),
        _text_item("Art. 33(3)(c)", "Likely consequences of the breach", incident.consequences),
        _measures(incident),
        _people_told(incident, zone),
    ]
    if incident.reported_by:
        items.append(_processor_report(incident, datamap, zone))
    intro = [
        f"Notification of a personal data breach under GDPR Article 33, by {organization.name} "
        f"({facts.address_line(organization.address)}) as controller. Our reference: "
        f"{incident.reference}. Phase {phase} of this notification.",
    ]
    return Draft(
        "authority",
        f"Personal data breach notification — {incident.reference}",
        authority.name if authority else "The competent supervisory authority",
        intro,
        items,
        _phases_closing(items),
    )


def _timing(incident: Incident, now: datetime, zone: tzinfo) -> Item:
    notified = incident.authority_notified_at or now
    clock = breach_clock(became_aware_at=incident.became_aware_at, now=now,
                         notified_at=notified, controller=True)  # fmt: skip
    deadline = clock.deadline or notified
    bullets = [
        f"We became aware of the breach on {_when(incident.became_aware_at, zone)}.",
        _occurred(incident, zone),
        f"This notification: {_when(notified, zone)}; the 72-hour period ends "
        f"{_when(deadline, zone)}.",
    ]
    if notified > deadline:
        reasons = incident.delay_reasons or "to be given before sending"
        bullets.append(f"Reasons for notifying after 72 hours (GDPR Art. 33(1)): {reasons}")
    return Item(
        "Art. 33(1)",
        "Timing",
        bullets=bullets,
        missing=notified > deadline and not incident.delay_reasons,
    )


def _occurred(incident: Incident, zone: tzinfo) -> str:
    if incident.occurred_from is None:
        return "When the breach itself happened: not known yet."
    until = f" until {_when(incident.occurred_until, zone)}" if incident.occurred_until else ""
    return f"The breach happened from {_when(incident.occurred_from, zone)}{until}."


def _nature(incident: Incident, datamap: DataMap, zone: tzinfo) -> Item:
    """Art. 33(3)(a): nature, categories and approximate numbers of people and records."""
    people = (
        f"About {incident.people_count:,} people (counted in our systems on "
        f"{_when(incident.counted_at, zone)})"
        if incident.people_count is not None and incident.counted_at
        else "Number of people: not counted yet"
    )
    records = sum(incident.records_count.values()) if incident.records_count else None
    bullets = [
        f"What happened: {incident.nature}" if incident.nature else f"What happened: {NOT_YET}",
        f"Kind of breach: {', '.join(incident.kinds)}"
        if incident.kinds
        else "Kind of breach: not established yet",
        "Categories of people concerned: "
        + (
            facts.join_words([facts.subject_name(datamap, s) for s in incident.subjects])
            or "not established yet"
        ),
        people,
        "Categories of personal data records concerned: "
        + (
            facts.join_words([facts.category_label(datamap, c) for c in incident.categories])
            or "not established yet"
        ),
        f"About {records:,} records" + _per_dataset(incident)
        if records is not None
        else "Number of records: not counted yet",
    ]
    missing = not incident.nature or incident.people_count is None
    return Item(
        "Art. 33(3)(a)",
        "Nature of the breach, people and records concerned",
        bullets=bullets,
        missing=missing,
    )


def _per_dataset(incident: Incident) -> str:
    parts = [f"{did} {count:,}" for did, count in incident.records_count.items() if count]
    unidentified = incident.unidentified_records or 0
    tail = f"; {unidentified:,} of them identify no one" if unidentified else ""
    return f" ({', '.join(parts)}{tail})" if parts else ""


def _contact_point(datamap: DataMap) -> Item:
    organization = datamap.organization
    who: Contact = organization.dpo or organization.contact
    label = "Data protection officer" if organization.dpo else "Contact point"
    return Item(
        "Art. 33(3)(b)", f"{label}: name and contact details", bullets=facts.contact_lines(who)
    )


def _measures(incident: Incident) -> Item:
    bullets = [
        f"Measures taken: {incident.measures_taken or NOT_YET}",
        f"Measures proposed, including to mitigate possible adverse effects: {incident.measures_proposed or NOT_YET}",
    ]
    return Item(
        "Art. 33(3)(d)",
        "Measures taken or proposed to address the breach",
        bullets=bullets,
        missing=not (incident.measures_taken or incident.measures_proposed),
    )


def _people_told(incident: Incident, zone: tzinfo) -> Item:
    grounds = [EXEMPTIONS[Exemption(e)] for e in incident.exemptions]
    if incident.people_notified_at:
        text = f"The people concerned were told on {_when(incident.people_notified_at, zone)}."
    elif incident.risk.value == "high" and not grounds:
        text = "The risk is high: the people concerned will be told without undue delay (GDPR Art. 34(1))."
    elif grounds:
        text = "The people concerned are not told one by one: " + "; ".join(grounds) + "."
    else:
        text = f"Risk assessment: {incident.risk.value}. {incident.risk_reasoning or ''}".strip()
    return Item("Art. 34", "Communication to the people concerned", paragraphs=[text])


def _processor_report(incident: Incident, datamap: DataMap, zone: tzinfo) -> Item:
    name = facts.recipient_name(datamap, incident.reported_by or "")
    reported = incident.reported_to_us_at
    when = _when(reported, zone) if reported else "(date to be given)"
    return Item(
        "Art. 33(2)",
        "Reported by our processor",
        paragraphs=[f"Our processor {name} reported the breach to us on {when}."],
    )


def _text_item(key: str, heading: str, text: str | None) -> Item:
    return Item(key, heading, paragraphs=[text or NOT_YET], missing=not text)


def _phases_closing(items: list[Item]) -> list[str]:
    pending = [f"{i.key} ({i.heading.lower()})" for i in items if i.missing]
    if not pending:
        return ["This notification gives every item GDPR Art. 33(3) asks for."]
    return [
        "Not all information is available yet; it will be provided in phases without undue "
        f"further delay (GDPR Art. 33(4)): {'; '.join(pending)}."
    ]


# --- the people (Art. 34) ------------------------------------------------------------------


def people_draft(incident: Incident, datamap: DataMap, *, public: bool) -> Draft:
    organization = datamap.organization
    who = "people whose data we hold" if public else "you"
    items = [
        Item(
            "Art. 34(2)",
            "What happened",
            paragraphs=[incident.nature or NOT_YET],
            missing=not incident.nature,
        ),
        Item(
            "Art. 34(2)",
            "Which of your data is concerned" if not public else "Which data is concerned",
            bullets=[facts.category_label(datamap, c) for c in incident.categories] or [NOT_YET],
            missing=not incident.categories,
        ),
        _text_item("Art. 33(3)(c)", "What this could mean for " + who, incident.consequences),
        _text_item(
            "Art. 33(3)(d)",
            "What we have done and will do",
            " ".join(t for t in (incident.measures_taken, incident.measures_proposed) if t) or None,
        ),
        Item(
            "Art. 34(2)",
            "What you can do",
            paragraphs=[incident.advice_to_people or NOT_YET],
            missing=not incident.advice_to_people,
        ),
        Item(
            "Art. 33(3)(b)",
            "Who to contact",
            bullets=facts.contact_lines(organization.dpo or organization.contact),
        ),
    ]
    intro = [
        (
            f"{organization.name} is informing the public of a breach of personal data it holds, "
            "because telling each person individually would take disproportionate effort "
            "(GDPR Art. 34(3)(c))."
        )
        if public
        else f"We are writing to tell you about a breach affecting personal data that {organization.name} holds about you."
    ]
    title = f"{'Public notice' if public else 'Important'}: a breach affecting personal data ({incident.reference})"
    return Draft(
        "public" if public else "people",
        title,
        "The public" if public else "Each person concerned",
        intro,
        items,
        [],
    )


# --- our clients, when we are their processor (Art. 33(2)) ---------------------------------


def _client(incident: Incident, datamap: DataMap, client: str | None) -> str:
    theirs = sorted({c for d in incident.datasets if (c := datamap.datasets[d].client_id())})
    if client is None and len(theirs) == 1:
        return theirs[0]
    if client not in theirs:
        raise DraftError(
            f"Name the client to tell (--client): the incident affects data of "
            f"{', '.join(theirs) or 'no client'}."
        )
    return client


def client_draft(incident: Incident, datamap: DataMap, client_id: str, zone: tzinfo = UTC) -> Draft:
    client = datamap.clients[client_id]
    theirs = [d for d in incident.datasets if datamap.datasets[d].client_id() == client_id]
    categories = sorted({f.category for d in theirs for f in datamap.datasets[d].fields.values()})
    records = sum(incident.records_count.get(d, 0) for d in theirs)
    items = [
        Item(
            "Art. 33(2)",
            "When we became aware",
            paragraphs=[f"{_when(incident.became_aware_at, zone)}. {_occurred(incident, zone)}"],
        ),
        Item(
            "Art. 33(3)(a)",
            "Nature of the breach and your data concerned",
            bullets=[
                f"What happened: {incident.nature or NOT_YET}",
                f"Your datasets concerned: {', '.join(theirs)}",
                "Categories of data: "
                + facts.join_words([facts.category_label(datamap, c) for c in categories]),
                f"About {records:,} of your records"
                if incident.counted_at
                else "Records: not counted yet",
            ],
            missing=not incident.nature or not incident.counted_at,
        ),
        _contact_point(datamap),
        _text_item("Art. 33(3)(c)", "Likely consequences", incident.consequences),
        _measures(incident),
    ]
    intro = [
        f"As your processor (GDPR Art. 28), {datamap.organization.name} informs you without undue "
        f"delay of a personal data breach affecting data we process on your behalf (GDPR Art. "
        f"33(2)), so that you can assess it and meet your own duties under Articles 33 and 34. "
        f"Our reference: {incident.reference}.",
    ]
    closing = [
        "We will assist you with your notification and any communication to the people concerned "
        "(GDPR Art. 28(3)(f)), and send further information as soon as we have it.",
        *_phases_closing(items)[:1],
    ]
    to = ", ".join(facts.contact_lines(client.dpo or client.contact)) or client.name
    return Draft(
        "client",
        f"Personal data breach affecting your data — {incident.reference}",
        f"{client.name} ({to})",
        intro,
        items,
        closing,
    )


# --- rendering ---------------------------------------------------------------------------------


@cache
def _environment(markdown: bool) -> Environment:
    return environment(package_templates("lawful.breach"), markdown=markdown)


def render_draft(draft: Draft, *, kind: Literal["md", "html"]) -> str:
    """The draft as Markdown (values escaped as literal text) or as an HTML page (escaped)."""
    environment = _environment(kind == "md")
    return environment.get_template(f"draft.{kind}.j2").render(draft=draft)


def _when(value: datetime | None, zone: tzinfo) -> str:
    """`7 Dec 2026, 12:17 EET`: as every page and mail reads a moment (`lawful.formats`)."""
    return _moment(value, zone) if value else "(not known)"
