"""Published versions of the privacy notice, and who must be asked for consent again.

The notice is generated from the data map (`lawful.reports.notice`); publishing stores the
exact Markdown text and its SHA-256, so every consent points at the words the person read.
A material change (GDPR Art. 7, Art. 13(3); EDPB Guidelines 05/2020 on consent, §111) means
that consents given before it no longer cover the consent-based purposes it affects.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from threading import Lock

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lawful.consent import repository
from lawful.consent.errors import ConsentInputError, NoticeConflictError
from lawful.consent.models import NoticePurpose, NoticeVersion
from lawful.consent.policy import policy_for
from lawful.consent.reconsent import start_reconsent
from lawful.datamap.models import DataMap
from lawful.reports.notice import build_notice
from lawful.reports.render import render
from lawful.store.audit import record_event
from lawful.store.crypto import Keyring
from lawful.store.models import utcnow
from lawful.store.tasks import Dispatcher

MAX_GRACE_DAYS = 366
_VERSION_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_")


@dataclass(frozen=True)
class NoticeText:
    version: str
    language: str
    text: str
    sha256: str


@dataclass(frozen=True)
class ReconsentEntry:
    """A person whose consent predates a material change: ask them again before relying on it."""

    subject: str
    purpose: str
    given_at: datetime
    notice_version: str | None
    event_uid: str
    changed_at: datetime


def notice_text(datamap: DataMap, *, version: str | None = None) -> NoticeText:
    """The notice generated from the map, as Markdown, with its SHA-256."""
    notice = build_notice(datamap)
    if version is not None:
        notice = dataclasses.replace(notice, version=version)
    text = render("notice.md.j2", notice=notice)
    digest = hashlib.sha256(text.encode()).hexdigest()
    return NoticeText(notice.version, notice.lang, text, digest)


_GENERATED: dict[int, tuple[DataMap, NoticeText]] = {}
_LOCK = Lock()


def generated_notice(datamap: DataMap) -> NoticeText:
    """`notice_text` of the map, computed once per map."""
    found = _GENERATED.get(id(datamap))
    if found is not None and found[0] is datamap:
        return found[1]
    with _LOCK:
        text = notice_text(datamap)
        _GENERATED.clear()
        _GENERATED[id(datamap)] = (datamap, text)
    return text


def current_notice(session: Session, *, datamap: DataMap) -> tuple[str, str]:
    """(version, SHA-256) of the notice people see now: the last one published, else the one
    the map generates."""
    published = repository.latest_notice(session)
    if published is not None:
        return published.version, published.sha256
    generated = generated_notice(datamap)
    return generated.version, generated.sha256


def publish_notice(
    session: Session,
    *,
    datamap: DataMap,
    actor: str,
    material: bool,
    version: str | None = None,
    purposes: Sequence[str] | None = None,
    summary: str | None = None,
    now: datetime | None = None,
    grace_days: int = 0,
    queue: Dispatcher | None = None,
) -> NoticeVersion:
    """Store a new version of the generated notice. A material change names the
    consent-based purposes it affects (all of them by default): their consents given
    before now must be renewed, and stop counting `grace_days` after publication; the mails
    asking those people again are queued (`lawful.consent.reconsent`, one run per version)."""
    text = notice_text(datamap, version=_checked_version(version))
    if repository.notice_by_version(session, version=text.version) is not None:
        raise _already_published(text.version)
    affected = _affected(datamap, material=material, purposes=purposes)
    if not 0 <= grace_days <= MAX_GRACE_DAYS:
        raise ConsentInputError(
            f"the grace period is 0 to {MAX_GRACE_DAYS} days (how long old consents still "
            "count after a material change)",
            field="grace_days",
        )
    published = now or utcnow()
    notice = NoticeVersion(
        version=text.version,
        language=text.language,
        sha256=text.sha256,
        text=text.text,
        material=material,
        summary=summary,
        published_at=published,
        published_by=actor,
        effective_at=published + timedelta(days=grace_days) if material else None,
    )
    try:
        with session.begin_nested():  # two staff publishing the same version at once
            session.add(notice)
            session.flush()
    except IntegrityError:
        raise _already_published(text.version) from None
    session.add_all(NoticePurpose(notice_id=notice.id, purpose=p) for p in affected)
    record_event(
        session,
        actor=actor,
        action="consent.notice_published",
        subject_type="notice_version",
        subject_id=text.version,
        details={"sha256": text.sha256, "material": material, "purposes": affected},
    )
    if affected:
        start_reconsent(session, notice=notice, purposes=affected, actor=actor, queue=queue)
    session.flush()
    return notice


def _already_published(version: str) -> NoticeConflictError:
    return NoticeConflictError(
        f"notice version {version!r} is already published: give the new version a "
        "new number (`version`), or raise `organization.notice.version` in the map",
        field="version",
    )


def _checked_version(version: str | None) -> str | None:
    if version is None:
        return None
    if not 0 < len(version) <= 50 or not set(version) <= _VERSION_CHARS:
        raise ConsentInputError(
            "a notice version is 1 to 50 letters, digits, '.', '-' or '_', e.g. 2026-11",
            field="version",
        )
    return version


def _affected(datamap: DataMap, *, material: bool, purposes: Sequence[str] | None) -> list[str]:
    consent_based = [p.id for p in policy_for(datamap).purposes.values() if p.consent_based]
    if not material:
        if purposes:
            raise ConsentInputError(
                "only a material change affects purposes: set `material` or leave `purposes` out",
                field="purposes",
            )
        return []
    if purposes is None:
        return consent_based
    wrong = [p for p in purposes if p not in consent_based]
    if wrong:
        raise ConsentInputError(
            f"not consent-based purposes of the map: {', '.join(sorted(wrong))}; "
            f"consent-based: {', '.join(consent_based) or 'none'}",
            field="purposes",
        )
    return list(dict.fromkeys(purposes))


def reconsent_list(
    session: Session,
    *,
    datamap: DataMap,
    keyring: Keyring,
    now: datetime | None = None,
    purpose: str | None = None,
) -> list[ReconsentEntry]:
    """Everyone whose current, unexpired consent to a purpose (or to `purpose` only)
    predates the latest material notice change affecting that purpose."""
    moment = now or utcnow()
    found: list[ReconsentEntry] = []
    for changed_purpose, changed in _changed_purposes(session, datamap=datamap):
        if purpose is not None and changed_purpose != purpose:
            continue
        for event in repository.reconsent_events(
            session, purpose=changed_purpose, changed=changed, now=moment
        ):
            subject = keyring.decrypt(event.subject_sealed, context="consent.subject").decode()
            found.append(
                ReconsentEntry(
                    subject, changed_purpose, event.at, event.notice_version, event.uid, changed
                )
            )
    return found


def reconsent_count(session: Session, *, datamap: DataMap, now: datetime | None = None) -> int:
    """How many people must be asked again (for any purpose), without decrypting anyone."""
    moment = now or utcnow()
    people: set[str] = set()
    for purpose, changed in _changed_purposes(session, datamap=datamap):
        people |= repository.reconsent_subjects(
            session, purpose=purpose, changed=changed, now=moment
        )
    return len(people)


def _changed_purposes(session: Session, *, datamap: DataMap) -> list[tuple[str, datetime]]:
    """Consent-based purposes with a material notice change, and its time."""
    found = []
    for rule in policy_for(datamap).purposes.values():
        changed = (
            repository.reconsent_after(session, purpose=rule.id) if rule.consent_based else None
        )
        if changed is not None:
            found.append((rule.id, changed))
    return found
