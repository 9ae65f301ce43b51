"""Consents that lapse, written to the ledger: the body of the daily `consent.expire` job.

A consent recorded with an `expires_at` stops counting at that moment: a cookie-banner choice
after about six months (CNIL, délibération 2020-091 §38, DESIGN.md §7), any consent after the
purpose's own `consent.expires` (the map's ISO 8601 duration), whichever comes first. Checks
already read it so (`rules.reason_for`); this job writes the `expired` event the ledger then
shows, so a person's history and receipts say when and why the consent ended.

The job decides nothing new: it appends an event only where the lapsed consent is still the
latest event a check reads, dated at the moment it lapsed, so every check answers the same
before and after. It copies the sealed subject as it is (no key needed: the job never sees
who the person is), pages through the ledger by id, and is idempotent: a second run finds
nothing, since the consent it ended is no longer the latest event.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, insert, or_, select, text
from sqlalchemy.orm import Session, aliased, sessionmaker

from lawful.consent.models import ConsentEvent, ConsentState
from lawful.store.audit import record_event
from lawful.store.models import new_id, utcnow

log = logging.getLogger("lawful.consent")
EXPIRY_ACTOR = "policy"
EXPIRY_METHOD = "expiry"
EXPIRY_BATCH = 1000
EXPIRY_LOCK_KEY = 0x4C43_4558  # "LCEX": one expiry run at a time on PostgreSQL
RULE = (
    "a consent ends at its expires_at: a cookie choice after about 6 months (CNIL, "
    "délibération 2020-091), a purpose's consent after its consent.expires in the data map"
)

_COPIED = (
    ConsentEvent.id,
    ConsentEvent.subject_index,
    ConsentEvent.subject_sealed,
    ConsentEvent.subject_type,
    ConsentEvent.purpose,
    ConsentEvent.contact_channel,
    ConsentEvent.cookie_category,
    ConsentEvent.notice_version,
    ConsentEvent.notice_sha256,
    ConsentEvent.channel,
    ConsentEvent.language,
    ConsentEvent.expires_at,
)


def expire_once(sessions: sessionmaker[Session], *, now: datetime | None = None) -> None:
    """The body of the `consent.expire` job: one run in its own transaction, committed."""
    with sessions() as session:
        count = record_expiries(session, now=now or utcnow())
        session.commit()
    log.info("consent expiry: %d consent(s) ended", count)


def record_expiries(session: Session, *, now: datetime, batch_size: int = EXPIRY_BATCH) -> int:
    """Append an `expired` event for every consent whose time is up and that still decides
    (the latest event of its subject and purpose, or of its browser and cookie category).
    Returns how many; audited once per run with the count. Never commits."""
    if session.get_bind().dialect.name == "postgresql":
        # Two runs at once (the job and `lawful consent expire`) would both see the same
        # consent as the latest; the second waits, then finds the first one's events.
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": EXPIRY_LOCK_KEY})
    ended: Counter[str] = Counter()
    after = 0
    while rows := _lapsed(session, now=now, after=after, limit=batch_size):
        session.execute(insert(ConsentEvent), [_expired_event(row, now) for row in rows])
        ended.update(row.purpose or f"cookie:{row.cookie_category}" for row in rows)
        after = rows[-1].id
    total = sum(ended.values())
    if not total:  # a daily run that found nothing: its task row is the trace, not the trail
        return 0
    record_event(
        session,
        actor=EXPIRY_ACTOR,
        action="consent.expired",
        subject_type="consent_ledger",
        subject_id="expiry",
        details={"count": total, "by_purpose": dict(sorted(ended.items())), "rule": RULE},
        at=now,
    )
    return total


def _lapsed(session: Session, *, now: datetime, after: int, limit: int) -> Sequence[Any]:
    """The next `limit` lapsed consents (by id, after `after`) that no later event overrides."""
    query = (
        select(*_COPIED)
        .where(ConsentEvent.id > after)
        .where(ConsentEvent.state == ConsentState.given, ConsentEvent.expires_at <= now)
        .where(~_overridden(ConsentEvent), ~_channel_refused_meanwhile(ConsentEvent))
        .order_by(ConsentEvent.id)
        .limit(limit)
    )
    return session.execute(query).all()


def _overridden(event: type[ConsentEvent]) -> ColumnElement[bool]:
    """A later event read by the same checks as `event` (`repository._relevant`): about the
    same purpose on any channel it covers; for an event with no purpose (a cookie category
    or a channel as a whole), about the same category and channel."""
    later = aliased(ConsentEvent)
    after_it = or_(later.at > event.at, and_(later.at == event.at, later.id > event.id))
    same_purpose = and_(
        event.purpose.is_not(None),
        later.purpose == event.purpose,
        or_(
            event.contact_channel.is_(None),
            later.contact_channel.is_(None),
            later.contact_channel == event.contact_channel,
        ),
    )
    same_choice = and_(
        event.purpose.is_(None),
        later.purpose.is_(None),
        later.cookie_category.is_not_distinct_from(event.cookie_category),
        later.contact_channel.is_not_distinct_from(event.contact_channel),
    )
    return exists().where(
        later.subject_index == event.subject_index, after_it, or_(same_purpose, same_choice)
    )


def _channel_refused_meanwhile(event: type[ConsentEvent]) -> ColumnElement[bool]:
    """A "no" to a whole channel the consent covers, made after it and before it lapsed.
    `rules.reason_for` lets any later event about the purpose override such a "no", so an
    `expired` event dated after it would turn "channel_opted_out" into "expired": the check
    already reads the lapse, and the event is left unwritten to keep the answer the same."""
    later = aliased(ConsentEvent)
    return exists().where(
        later.subject_index == event.subject_index,
        event.purpose.is_not(None),
        later.purpose.is_(None),
        later.contact_channel.is_not(None),
        or_(event.contact_channel.is_(None), later.contact_channel == event.contact_channel),
        later.state != ConsentState.given,
        or_(later.at > event.at, and_(later.at == event.at, later.id > event.id)),
        later.at <= event.expires_at,
    )


def _expired_event(row: Any, now: datetime) -> dict[str, Any]:
    """The consent's own subject, purpose and notice; dated when it lapsed (no later event
    exists, so it becomes the latest); no evidence: the rule is the evidence."""
    return {
        "uid": new_id(),
        "subject_index": row.subject_index,
        "subject_sealed": row.subject_sealed,
        "subject_type": row.subject_type,
        "purpose": row.purpose,
        "contact_channel": row.contact_channel,
        "cookie_category": row.cookie_category,
        "state": ConsentState.expired,
        "notice_version": row.notice_version,
        "notice_sha256": row.notice_sha256,
        "channel": row.channel,
        "method": EXPIRY_METHOD,
        "language": row.language,
        "actor": EXPIRY_ACTOR,
        "at": row.expires_at,
        "recorded_at": now,
        "expires_at": None,
        "evidence_sealed": None,
    }
