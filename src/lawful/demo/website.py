"""Website analytics (`web`): visitors known by a cookie id, and the pages they viewed."""

from __future__ import annotations

from random import Random

from lawful.demo.clock import MONTH, TODAY, stamp
from lawful.demo.fake import ip_address, token
from lawful.demo.plan import FamilyContext
from lawful.demo.writer import Row

SYSTEM = "web"
SITE = "https://www.voxaria.example"
PAGES = (
    "/",
    "/services/customer-care",
    "/services/technical-support",
    "/services/outbound-sales",
    "/about",
    "/careers",
    "/careers/apply",
    "/contact",
    "/blog/peak-season-staffing",
    "/blog/greek-language-support",
    "/privacy",
)
REFERRERS = (
    None,
    None,
    "https://search.example/?q=contact+center+lyon",
    "https://social.example/voxaria",
    "https://news.example/outsourcing",
)
# The banner's answer: everything, nothing optional, or a custom choice.
CHOICES = ("accept_all", "accept_all", "reject_all", "reject_all", "custom")
COUNTRIES = ("FR", "FR", "FR", "FR", "US", "US", "GR", "BE", "CH", "DE")
# Visits reach back 30 months, so some are older than the 25 months the CNIL allows for
# audience-measurement data: the retention sweep finds them.
HISTORY = 30 * MONTH


def generate(ctx: FamilyContext) -> None:
    rng = ctx.plan.rng("website")
    visitors = ctx.writer.rows(SYSTEM, "visitors")
    views = ctx.writer.rows(SYSTEM, "page_views")
    agents = ctx.pools.user_agents
    view_id = 0
    for visitor_id in range(1, ctx.plan.counts["website_visitor"] + 1):
        first = TODAY - int(rng.random() * HISTORY)
        last = first + int(rng.random() * min(TODAY - first, 6 * MONTH))
        choice = CHOICES[int(rng.random() * len(CHOICES))]
        visitors.append(
            (
                visitor_id,
                token(rng, "", 128),
                choice,
                stamp(first, 36_000),
                COUNTRIES[int(rng.random() * len(COUNTRIES))],
                stamp(first, 36_000),
                stamp(last, 70_000),
            )
        )
        agent = agents[int(rng.random() * len(agents))]
        view_id = _views(rng, views, view_id, visitor_id, agent, first, last)
        if visitor_id % 64 == 0:
            ctx.writer.flush()


def _views(
    rng: Random, rows: list[Row], last_id: int, visitor_id: int, agent: str, first: int, last: int
) -> int:
    address = ip_address(rng)
    count = 1 + int(rng.random() * 4)
    for rank in range(count):
        when = first + (last - first) * rank // count
        page = PAGES[int(rng.random() * len(PAGES))]
        referrer = REFERRERS[int(rng.random() * len(REFERRERS))] if rank == 0 else None
        last_id += 1
        rows.append(
            (
                last_id,
                visitor_id,
                address,
                agent,
                SITE + page,
                referrer,
                stamp(when, 36_000 + 90 * rank + int(rng.random() * 30_000)),
            )
        )
    return last_id
