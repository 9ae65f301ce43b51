"""Prospects (`marketing`): business people who may receive our emails, and what we sent.

Email prospecting rests on consent (CPCE art. L34-5); a prospect without consent is only
contacted once, after the event where we met.
"""

from __future__ import annotations

from random import Random

from lawful.demo.clock import MONTH, TODAY, YEAR, stamp
from lawful.demo.fake import make_person
from lawful.demo.plan import FamilyContext
from lawful.demo.writer import Row

SYSTEM = "marketing"
SOURCES = ("website_form", "webinar", "trade_show", "white_paper_download", "partner_event")
JOBS = (
    "Head of customer care",
    "Customer experience director",
    "Chief operating officer",
    "Procurement manager",
    "Contact center manager",
)
CAMPAIGNS = (
    "Newsletter",
    "Webinar invitation",
    "Case study: energy retail",
    "Seasonal peak staffing",
    "Greek-language support launch",
    "Customer satisfaction benchmark",
)
# Versions of the consent wording shown on our forms, by the day they went live.
NOTICE_VERSIONS = ((TODAY - 5 * YEAR, "2021-01"), (TODAY - 3 * YEAR, "2023-06"))


def generate(ctx: FamilyContext) -> None:
    rng = ctx.plan.rng("prospects")
    prospects = ctx.writer.rows(SYSTEM, "prospects")
    sends = ctx.writer.rows(SYSTEM, "campaign_sends")
    offset = ctx.plan.offsets["prospect"]
    send_id = 0
    for prospect_id in range(1, ctx.plan.counts["prospect"] + 1):
        roll = rng.random()
        pool = ctx.pools.by_country["FR" if roll < 0.6 else "US" if roll < 0.85 else "GR"]
        company = int(rng.random() * len(pool.companies))
        domain = f"{pool.company_slugs[company]}.example"
        person = make_person(rng, pool, offset + prospect_id, (domain,))
        created = TODAY - int(rng.random() * 5 * YEAR)
        consent = created if rng.random() < 0.7 else None
        unsubscribed = _unsubscribed(rng, consent)
        last_contact, send_id = _sends(
            rng, sends, send_id, prospect_id, created, consent, unsubscribed
        )
        prospects.append(
            (
                prospect_id,
                person.email,
                person.first_name,
                person.last_name,
                pool.companies[company],
                rng.choice(JOBS),
                person.phone,
                person.country,
                rng.choice(SOURCES),
                None if consent is None else stamp(consent, 40_000),
                _notice_version(consent),
                None if unsubscribed is None else stamp(unsubscribed, 0),
                stamp(created, 40_000),
                stamp(last_contact, 50_000),
            )
        )
        if prospect_id % 64 == 0:
            ctx.writer.flush()


def _unsubscribed(rng: Random, consent: int | None) -> int | None:
    if consent is None or rng.random() >= 0.12:
        return None
    return min(TODAY, consent + int(rng.random() * 2 * YEAR))


def _notice_version(consent: int | None) -> str | None:
    if consent is None:
        return None
    return NOTICE_VERSIONS[1][1] if consent >= NOTICE_VERSIONS[1][0] else NOTICE_VERSIONS[0][1]


def _sends(
    rng: Random,
    rows: list[Row],
    last_id: int,
    prospect_id: int,
    created: int,
    consent: int | None,
    unsubscribed: int | None,
) -> tuple[int, int]:
    """Writes the campaign emails; returns the day of the last contact and the last send id."""
    if consent is None:
        return min(TODAY, created + int(rng.random() * 14)), last_id  # one follow-up call
    until = unsubscribed or TODAY
    last_contact = sent = consent
    for _ in range(int(rng.random() * 7)):
        sent += 1 + int(rng.random() * 3 * MONTH)
        if sent >= until:
            break
        opened = sent + int(rng.random() * 3) if rng.random() < 0.35 else None
        clicked = opened if opened is not None and rng.random() < 0.3 else None
        last_id += 1
        rows.append(
            (
                last_id,
                prospect_id,
                rng.choice(CAMPAIGNS),
                stamp(sent, 32_400),
                None if opened is None else stamp(opened, 45_000),
                None if clicked is None else stamp(clicked, 45_060),
            )
        )
        last_contact = sent
    return last_contact, last_id
