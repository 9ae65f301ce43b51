"""Sending the mails of a re-consent run (`lawful.consent.reconsent`), a batch at a time.

Each person's row is claimed (`pending` → `sending`, a conditional update: one worker wins)
and committed before the mail is handed to the mail server, then marked `mailed`. A mail the
server refuses puts the row back to `pending` (sent on the next try); a crash between two
people loses nothing; a crash in the instant between the claim and the mail's record leaves
the row `sending`, shown as "unconfirmed" and never sent again on its own: asking someone
twice is the one thing a run must not do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from jinja2 import Environment
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from lawful.consent.links import LinkKind, issue_link
from lawful.consent.models import AskStatus, NoticeVersion, ReconsentAsk, ReconsentRun
from lawful.consent.policy import policy_for
from lawful.consent.reconsent import BATCH
from lawful.datamap.models import DataMap
from lawful.jinja import environment, package_templates
from lawful.store.crypto import Keyring
from lawful.store.models import utcnow

SUBJECT = "Please confirm your choices: our privacy notice changed"
_CLAIM_AHEAD = 50  # rows read at a time, each then claimed on its own


@dataclass(frozen=True)
class ReconsentMail:
    to: str
    subject: str
    text: str
    html: str


Deliver = Callable[[ReconsentMail], None]


@cache
def _templates() -> Environment:
    return environment(package_templates("lawful.consent", "templates/mail"))


def render_reconsent(
    *, to: str, organization: str, purposes: list[str], version: str, effective: datetime,
    link: str,
) -> ReconsentMail:  # fmt: skip
    context = {
        "organization": organization,
        "purposes": purposes,
        "version": version,
        "effective": effective.date().isoformat(),
        "link": link,
    }
    env = _templates()
    text = env.get_template("reconsent.txt.j2").render(**context)
    html = env.get_template("reconsent.html.j2").render(**context)
    return ReconsentMail(to=to, subject=SUBJECT, text=text, html=html)


def send_batch(
    sessions: sessionmaker[Session],
    *,
    run_id: int,
    datamap: DataMap,
    keyring: Keyring,
    public_url: str,
    deliver: Deliver,
    limit: int = BATCH,
    on_mailed: Callable[[], None] | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> int:
    """Mail up to `limit` people of the run; returns how many still wait. A delivery error
    puts that person back and is raised (the task runs again later)."""
    with sessions() as session:
        run = session.get(ReconsentRun, run_id)
        notice = session.get(NoticeVersion, run.notice_id) if run else None
        if run is None or notice is None:
            return 0
        version = notice.version
        effective = notice.effective_at or notice.published_at
    names = {pid: rule.name for pid, rule in policy_for(datamap).purposes.items()}
    organization = datamap.organization.name
    sent = 0
    while sent < limit:
        batch = _next_pending(sessions, run_id, min(_CLAIM_AHEAD, limit - sent))
        if not batch:
            break
        for ask_id, sealed, purposes in batch:
            if not _claim(sessions, ask_id):
                continue  # another worker took it
            subject = keyring.decrypt(sealed, context="consent.subject").decode()
            link = issue_link(
                datamap=datamap,
                keyring=keyring,
                public_url=public_url,
                kind=LinkKind.preferences,
                subject=subject,
            )
            mail = render_reconsent(
                to=subject.partition(":")[2],
                organization=organization,
                purposes=[names.get(p, p) for p in purposes.split(",")],
                version=version,
                effective=effective,
                link=link,
            )
            try:
                deliver(mail)
            except Exception:
                _set(sessions, ask_id, AskStatus.pending, None)
                raise
            _set(sessions, ask_id, AskStatus.mailed, clock())
            sent += 1
            if on_mailed is not None:
                on_mailed()
    return _finish_if_done(sessions, run_id, clock())


def _next_pending(
    sessions: sessionmaker[Session], run_id: int, size: int
) -> list[tuple[int, bytes, str]]:
    with sessions() as session:
        query = (
            select(ReconsentAsk.id, ReconsentAsk.subject_sealed, ReconsentAsk.purposes)
            .where(ReconsentAsk.run_id == run_id, ReconsentAsk.status == AskStatus.pending)
            .order_by(ReconsentAsk.id)
            .limit(size)
        )
        return [(i, s, p) for i, s, p in session.execute(query)]


def _claim(sessions: sessionmaker[Session], ask_id: int) -> bool:
    with sessions() as session:
        claimed = session.execute(
            update(ReconsentAsk)
            .where(ReconsentAsk.id == ask_id, ReconsentAsk.status == AskStatus.pending)
            .values(status=AskStatus.sending)
        )
        session.commit()
        return bool(getattr(claimed, "rowcount", 0))


def _set(
    sessions: sessionmaker[Session], ask_id: int, status: AskStatus, at: datetime | None
) -> None:
    with sessions() as session:
        session.execute(
            update(ReconsentAsk)
            .where(ReconsentAsk.id == ask_id)
            .values(status=status, mailed_at=at)
        )
        session.commit()


def _finish_if_done(sessions: sessionmaker[Session], run_id: int, now: datetime) -> int:
    """How many still wait; none: the run is finished (once)."""
    with sessions() as session:
        waiting = session.scalar(
            select(func.count())
            .select_from(ReconsentAsk)
            .where(ReconsentAsk.run_id == run_id, ReconsentAsk.status == AskStatus.pending)
        )
        if waiting:
            return int(waiting)
        session.execute(
            update(ReconsentRun)
            .where(ReconsentRun.id == run_id, ReconsentRun.finished_at.is_(None))
            .values(finished_at=now)
        )
        session.commit()
        return 0
