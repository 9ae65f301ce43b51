"""Queries on the consent ledger. Nothing here commits: the caller owns the transaction.

Reads return light `EventFact` tuples rather than ORM objects where they feed decisions, so a
check or a million-contact filter costs one query and no object loading.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from lawful.consent.models import ConsentEvent, ConsentState, NoticePurpose, NoticeVersion
from lawful.engine.models import Suppression


class EventFact(NamedTuple):
    """What a decision needs from one event; `order` sorts events as they happened."""

    at: datetime
    id: int
    uid: str
    state: str
    expires_at: datetime | None
    purpose: str | None
    contact_channel: str | None

    @property
    def order(self) -> tuple[datetime, int]:
        return (self.at, self.id)


_FACT_COLUMNS = (
    ConsentEvent.at,
    ConsentEvent.id,
    ConsentEvent.uid,
    ConsentEvent.state,
    ConsentEvent.expires_at,
    ConsentEvent.purpose,
    ConsentEvent.contact_channel,
)


def _relevant(purpose: str, channel: str) -> ColumnElement[bool]:
    """Events about the purpose (on any or this channel), and global preferences for the
    channel (e.g. "no marketing email at all")."""
    return or_(
        and_(
            ConsentEvent.purpose == purpose,
            or_(ConsentEvent.contact_channel.is_(None), ConsentEvent.contact_channel == channel),
        ),
        and_(ConsentEvent.purpose.is_(None), ConsentEvent.contact_channel == channel),
    )


def subject_facts(
    session: Session, *, indexes: Sequence[str], purpose: str, channel: str
) -> list[tuple[str, EventFact]]:
    """The events deciding `purpose` on `channel` for these subjects, oldest first."""
    query = (
        select(ConsentEvent.subject_index, *_FACT_COLUMNS)
        .where(ConsentEvent.subject_index.in_(indexes), _relevant(purpose, channel))
        .order_by(ConsentEvent.at, ConsentEvent.id)
    )
    return [(row[0], EventFact(*row[1:])) for row in session.execute(query)]


def channel_preference(session: Session, *, index: str, channel: str) -> EventFact | None:
    """The subject's latest choice about a channel as a whole (no purpose named)."""
    query = (
        select(*_FACT_COLUMNS)
        .where(ConsentEvent.subject_index == index, ConsentEvent.purpose.is_(None))
        .where(ConsentEvent.contact_channel == channel)
        .order_by(ConsentEvent.at.desc(), ConsentEvent.id.desc())
        .limit(1)
    )
    row = session.execute(query).first()
    return EventFact(*row) if row is not None else None


_AUDIENCE_SQL = """
    SELECT subject_index, at, id, uid, state, expires_at, purpose, contact_channel, subject_sealed
      FROM consent_events
     WHERE (purpose = :purpose AND (contact_channel IS NULL OR contact_channel = :channel))
        OR (purpose IS NULL AND contact_channel = :channel)
     ORDER BY at, id
"""


def latest_audience_events(
    session: Session, *, purpose: str, channel: str
) -> tuple[dict[str, Sequence[Any]], dict[str, Sequence[Any]]]:
    """For everyone at once (one query): each subject's latest event about the purpose and
    latest preference for the channel as a whole, as raw rows (`fact_of` turns one into an
    EventFact). Straight from the driver: a large audience meets hundreds of thousands of
    events, and most are never looked at again."""
    purposes: dict[str, Sequence[Any]] = {}
    channels: dict[str, Sequence[Any]] = {}
    params = {"purpose": purpose, "channel": channel}
    for rows in _driver_rows(session, _AUDIENCE_SQL, params):
        for row in rows:  # oldest first: the last one kept is the latest
            (channels if row[6] is None else purposes)[row[0]] = row
    return purposes, channels


def fact_of(row: Sequence[Any]) -> EventFact:
    """An `_AUDIENCE_SQL` row as an EventFact."""
    at, event_id, uid, state, expires, purpose, contact_channel = row[1:8]
    return EventFact(
        _moment(at), event_id, uid, state, _optional_moment(expires), purpose, contact_channel
    )


def is_suppressed(session: Session, *, entries: Sequence[tuple[str, str]]) -> bool:
    """Whether any `(identity type, keyed hash)` is on the suppression list."""
    if not entries:
        return False
    matches = [
        and_(Suppression.identity_type == kind, Suppression.identity_hash == digest)
        for kind, digest in entries
    ]
    return session.scalars(select(Suppression.id).where(or_(*matches)).limit(1)).first() is not None


def suppressed_hashes(session: Session, *, identity_types: Iterable[str]) -> dict[str, set[str]]:
    """Identity type → every keyed hash on the suppression list for it (for a filter)."""
    wanted = list(identity_types)
    found: dict[str, set[str]] = {}
    if not wanted:
        return found
    query = select(Suppression.identity_type, Suppression.identity_hash).where(
        Suppression.identity_type.in_(wanted)
    )
    for kind, digest in session.execute(query):
        found.setdefault(kind, set()).add(digest)
    return found


def reconsent_after(
    session: Session, *, purpose: str, now: datetime | None = None
) -> datetime | None:
    """When the latest material notice change affecting the purpose was published; with
    `now`, only changes in force by then (past their grace, `effective_at`)."""
    query = (
        select(func.max(NoticeVersion.published_at))
        .join(NoticePurpose, NoticePurpose.notice_id == NoticeVersion.id)
        .where(NoticeVersion.material.is_(True), NoticePurpose.purpose == purpose)
    )
    if now is not None:
        effective = func.coalesce(NoticeVersion.effective_at, NoticeVersion.published_at)
        query = query.where(effective <= now)
    return session.scalars(query).first()


def in_force(changes: Sequence[tuple[datetime, datetime]], now: datetime) -> datetime | None:
    """Of (published, effective) material changes, the latest published one in force at `now`:
    consents given before it no longer count."""
    return max((published for published, effective in changes if effective <= now), default=None)


def latest_notice(session: Session) -> NoticeVersion | None:
    query = select(NoticeVersion).order_by(
        NoticeVersion.published_at.desc(), NoticeVersion.id.desc()
    )
    return session.scalars(query.limit(1)).first()


def notice_by_version(session: Session, *, version: str) -> NoticeVersion | None:
    return session.scalars(select(NoticeVersion).where(NoticeVersion.version == version)).first()


def notice_versions(session: Session) -> list[NoticeVersion]:
    query = select(NoticeVersion).order_by(NoticeVersion.published_at, NoticeVersion.id)
    return list(session.scalars(query))


def notice_purposes(session: Session, *, notice_id: int) -> list[str]:
    query = select(NoticePurpose.purpose).where(NoticePurpose.notice_id == notice_id)
    return sorted(session.scalars(query))


def event_by_uid(session: Session, *, uid: str) -> ConsentEvent | None:
    return session.scalars(select(ConsentEvent).where(ConsentEvent.uid == uid)).first()


def subject_events(
    session: Session, *, index: str, purpose: str | None = None
) -> list[ConsentEvent]:
    """A subject's events (for one purpose, or all), oldest first."""
    query = select(ConsentEvent).where(ConsentEvent.subject_index == index)
    if purpose is not None:
        query = query.where(ConsentEvent.purpose == purpose)
    return list(session.scalars(query.order_by(ConsentEvent.at, ConsentEvent.id)))


def _reconsent_due(purpose: str, changed: datetime, now: datetime) -> ColumnElement[bool]:
    """Events that are a subject's latest about `purpose`, a consent still running, and
    given before `changed` (the latest material notice change for that purpose)."""
    later = aliased(ConsentEvent)
    return and_(
        ConsentEvent.purpose == purpose,
        ConsentEvent.state == ConsentState.given,
        ConsentEvent.at < changed,
        or_(ConsentEvent.expires_at.is_(None), ConsentEvent.expires_at > now),
        ~exists().where(
            later.subject_index == ConsentEvent.subject_index,
            later.purpose == purpose,
            or_(
                later.at > ConsentEvent.at,
                and_(later.at == ConsentEvent.at, later.id > ConsentEvent.id),
            ),
        ),
    )


def reconsent_events(
    session: Session, *, purpose: str, changed: datetime, now: datetime
) -> list[ConsentEvent]:
    """The consents to ask again for `purpose`, one per person, oldest first (one query)."""
    query = (
        select(ConsentEvent)
        .where(_reconsent_due(purpose, changed, now))
        .order_by(ConsentEvent.at, ConsentEvent.id)
    )
    return list(session.scalars(query))


def reconsent_subjects(
    session: Session, *, purpose: str, changed: datetime, now: datetime
) -> set[str]:
    """The blind indexes of the people to ask again for `purpose` (nothing decrypted)."""
    query = select(ConsentEvent.subject_index).where(_reconsent_due(purpose, changed, now))
    return set(session.scalars(query))


def reconsent_people(
    session: Session, *, purpose: str, changed: datetime
) -> list[tuple[str, bytes, str]]:
    """(blind index, sealed subject, kind) of each person whose running consent to `purpose`
    was given before `changed` (nothing decrypted)."""
    query = select(
        ConsentEvent.subject_index, ConsentEvent.subject_sealed, ConsentEvent.subject_type
    ).where(_reconsent_due(purpose, changed, changed))
    return [(index, sealed, kind) for index, sealed, kind in session.execute(query)]


def cookie_choice(session: Session, *, index: str, category: str) -> str | None:
    """The state of a browser's latest choice about a cookie category, if it made one."""
    query = (
        select(ConsentEvent.state)
        .where(ConsentEvent.subject_index == index, ConsentEvent.cookie_category == category)
        .order_by(ConsentEvent.at.desc(), ConsentEvent.id.desc())
        .limit(1)
    )
    state = session.scalars(query).first()
    return state.value if state is not None else None


class CheckFacts(NamedTuple):
    events: list[EventFact]
    suppressed: bool
    changes: list[tuple[datetime, datetime]]  # material notice changes: (published, effective)


# One round trip for a check: the deciding events, the suppression list and the latest
# material notice change. Sent straight to the driver: a check is the API's hot path, and
# this skips SQLAlchemy's statement building (values are still bound parameters).
_SUPPRESSION_SLOTS = 4  # identity types of one kind looked up in the same statement
_CHECK_SQL = """
    SELECT 'e', at, id, uid, state, expires_at, purpose, contact_channel
      FROM consent_events
     WHERE subject_index = :index
       AND ((purpose = :purpose AND (contact_channel IS NULL OR contact_channel = :channel))
            OR (purpose IS NULL AND contact_channel = :channel))
    UNION ALL
    SELECT 's', NULL, id, NULL, NULL, NULL, NULL, NULL
      FROM suppressions
     WHERE identity_type IN (:t0, :t1, :t2, :t3) AND identity_hash IN (:h0, :h1, :h2, :h3)
    UNION ALL
    SELECT 'n', v.published_at, 0, NULL, NULL, COALESCE(v.effective_at, v.published_at),
           NULL, NULL
      FROM consent_notice_versions v
      JOIN consent_notice_purposes p ON p.notice_id = v.id
     WHERE v.material = :material AND p.purpose = :purpose
"""
_PARAMETER = re.compile(r":([a-z0-9]+)")


@cache
def _for_driver(sql: str, dialect: str) -> str:
    """sqlite3 takes `:name` parameters as written; psycopg wants `%(name)s`."""
    return sql if dialect == "sqlite" else _PARAMETER.sub(r"%(\1)s", sql)


def _driver_rows(
    session: Session, sql: str, params: Mapping[str, object], *, batch: int = 20_000
) -> Iterator[Sequence[Any]]:
    """Rows of a plain SQL statement, in batches, from the session's own connection."""
    connection = session.connection()
    cursor = connection.connection.cursor()
    try:
        cursor.execute(_for_driver(sql, connection.dialect.name), params)
        while rows := cursor.fetchmany(batch):
            yield rows
    finally:
        cursor.close()


def _moment(value: object) -> datetime:
    """A stored time as an aware UTC datetime (SQLite gives text, PostgreSQL a datetime)."""
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _optional_moment(value: object) -> datetime | None:
    return None if value is None else _moment(value)


def check_facts(
    session: Session,
    *,
    index: str,
    purpose: str,
    channel: str,
    suppression: Sequence[tuple[str, str]],
) -> CheckFacts:
    """Everything a single check needs, oldest event first."""
    if len(suppression) > _SUPPRESSION_SLOTS:
        found = check_facts(session, index=index, purpose=purpose, channel=channel, suppression=())
        return found._replace(suppressed=is_suppressed(session, entries=suppression))
    params = _check_params(index, purpose, channel, suppression)
    return _facts([row for rows in _driver_rows(session, _CHECK_SQL, params) for row in rows])


def _check_params(
    index: str, purpose: str, channel: str, suppression: Sequence[tuple[str, str]]
) -> dict[str, object]:
    slots = [*suppression, *[("", "")] * (_SUPPRESSION_SLOTS - len(suppression))]
    params: dict[str, object] = {
        "index": index,
        "purpose": purpose,
        "channel": channel,
        "material": True,
    }
    for n, (kind, digest) in enumerate(slots):
        params[f"t{n}"], params[f"h{n}"] = kind, digest
    return params


def _facts(rows: Sequence[Sequence[Any]]) -> CheckFacts:
    events: list[EventFact] = []
    suppressed, changes = False, []
    for kind, at, *rest in rows:
        if kind == "e":
            event_id, uid, state, expires, purpose, channel = rest
            fact = EventFact(
                _moment(at), event_id, uid, state, _optional_moment(expires), purpose, channel
            )
            events.append(fact)
        elif kind == "s":
            suppressed = True
        else:
            changes.append((_moment(at), _moment(rest[3])))
    events.sort(key=lambda fact: fact.order)
    return CheckFacts(events, suppressed, changes)


# --- the check's fast path: the token and the facts in one statement --------------------------

# `_CHECK_SQL` plus the API token's row ('t': expiry, scopes, revocation; 'u': last use),
# so the API's hot path costs one indexed read and no ORM. Columns keep the types of the
# first branch (PostgreSQL checks them across a UNION).
_TOKEN_CHECK_SQL = (  # two constants: no value is ever formatted into SQL
    _CHECK_SQL  # noqa: S608
    + """
    UNION ALL
    SELECT 't', expires_at, 0, NULL, CAST(scopes AS VARCHAR), revoked_at, NULL, NULL
      FROM api_tokens
     WHERE token_hash = :token
    UNION ALL
    SELECT 'u', last_used_at, 0, NULL, NULL, NULL, NULL, NULL
      FROM api_tokens
     WHERE token_hash = :token
"""
)


class TokenFacts(NamedTuple):
    """An API token's row, as `lawful.auth.service.check_token` judges it."""

    scopes: frozenset[str]
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


def token_check_facts(
    connection: Any,
    *,
    dialect: str,
    token_hash: str,
    index: str,
    purpose: str,
    channel: str,
    suppression: Sequence[tuple[str, str]],
) -> tuple[TokenFacts | None, CheckFacts] | None:
    """On a raw DB-API `connection` (no transaction left open): the token with that hash
    and everything a check needs. None when the suppression entries do not fit the
    statement (the caller then takes the ordinary path)."""
    if len(suppression) > _SUPPRESSION_SLOTS:
        return None
    params = _check_params(index, purpose, channel, suppression)
    params["token"] = token_hash
    cursor = connection.cursor()
    try:
        cursor.execute(_for_driver(_TOKEN_CHECK_SQL, dialect), params)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    token_rows = [row for row in rows if row[0] in ("t", "u")]
    return _token_of(token_rows), _facts([row for row in rows if row[0] not in ("t", "u")])


def _token_of(rows: Sequence[Sequence[Any]]) -> TokenFacts | None:
    found = {row[0]: row for row in rows}
    if "t" not in found:
        return None
    _, expires, _, _, scopes, revoked, *_ = found["t"]
    last_used = found["u"][1] if "u" in found else None
    return TokenFacts(
        scopes=frozenset(json.loads(scopes) if isinstance(scopes, str) else scopes or ()),
        expires_at=_moment(expires),
        revoked_at=_optional_moment(revoked),
        last_used_at=_optional_moment(last_used),
    )
