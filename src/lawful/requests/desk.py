"""Staff working the queue: who is on a request (its assignee) and the notes they leave on it.
Both go to the request's timeline and the audit trail; a note's text is sealed (AES-GCM) and
shown to staff only, never to the person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from lawful.auth.models import StaffUser
from lawful.auth.repository import all_users
from lawful.requests import repository
from lawful.requests.context import RequestsContext
from lawful.requests.errors import InvalidInputError
from lawful.requests.identity import open_identity, write_name_tokens
from lawful.requests.lookup import get_request
from lawful.requests.models import RequestNote, RightsRequest
from lawful.requests.timeline import record
from lawful.store.crypto import Keyring
from lawful.store.models import utcnow

NOTE_MAX = 4000


def staff_names(session: Session) -> dict[str, str]:
    """Every staff member's name by the id the audit trail and assignments use."""
    return {user.id: user.name for user in all_users(session)}


def assignable(session: Session) -> list[StaffUser]:
    """Who may be given a request: active staff, by name."""
    return sorted((u for u in all_users(session) if u.active), key=lambda u: u.name.casefold())


def assign_request(
    session: Session,
    *,
    ctx: RequestsContext,
    reference: str,
    staff_id: str,
    actor: str,
    now: datetime | None = None,
) -> RightsRequest:
    """Give the request to a staff member (or to no one: `staff_id` empty)."""
    now = now or utcnow()
    repository.lock_reference(session, reference=reference)
    request = get_request(session, reference=reference)
    names = staff_names(session)
    before = names.get(request.assignee_id or "", None)
    if not staff_id:
        if request.assignee_id is None:
            return request
        request.assignee_id = None
        record(session, request=request, actor=actor, action="unassigned", now=now,
               details={"previous": before or "a former staff member"})  # fmt: skip
        return request
    chosen = {u.id: u for u in assignable(session)}.get(staff_id)
    if chosen is None:
        raise InvalidInputError(
            "That staff member is not in the list of active staff; pick a name from the list.",
            field="assignee",
        )
    if request.assignee_id == chosen.id:
        return request
    request.assignee_id = chosen.id
    details = {"assignee": chosen.name} | ({"previous": before} if before else {})
    record(session, request=request, actor=actor, action="assigned", now=now, details=details)
    return request


@dataclass(frozen=True)
class Note:
    at: datetime
    author: str  # by name
    text: str


def _note_context(request: RightsRequest) -> str:
    return f"rights_request.note:{request.id}"


def add_note(
    session: Session,
    *,
    ctx: RequestsContext,
    reference: str,
    text: str,
    actor: str,
    now: datetime | None = None,
) -> RequestNote:
    """A staff-only note: sealed at rest; the timeline and the audit trail say a note was
    added, by whom and when, not what it says."""
    now = now or utcnow()
    body = text.strip()
    if not body:
        raise InvalidInputError("Write the note before adding it.", field="note")
    if len(body) > NOTE_MAX:
        raise InvalidInputError(
            f"The note is {len(body)} characters long; keep it to {NOTE_MAX}.", field="note"
        )
    request = get_request(session, reference=reference)
    note = RequestNote(
        request_id=request.id,
        author=actor,
        at=now,
        body_sealed=ctx.keyring.encrypt(body.encode(), context=_note_context(request)),
    )
    session.add(note)
    session.flush()
    record(session, request=request, actor=actor, action="note_added", now=now,
           details={"note": note.id, "length": len(body)})  # fmt: skip
    return note


def read_notes(session: Session, *, ctx: RequestsContext, request: RightsRequest) -> list[Note]:
    names = staff_names(session)
    return [
        Note(
            at=note.at,
            author=names.get(note.author.removeprefix("staff:"), note.author),
            text=ctx.keyring.decrypt(note.body_sealed, context=_note_context(request)).decode(),
        )
        for note in repository.notes(session, request_id=request.id)
    ]


def index_names(session: Session, *, keyring: Keyring, batch: int = 200) -> int:
    """Give the requests stored before names had word indexes theirs, `batch` at a time
    (committed by the caller); how many it did. Nothing left: 0."""
    done = 0
    for request in repository.unindexed_names(session, limit=batch):
        write_name_tokens(keyring, request, open_identity(keyring, request).name)
        done += 1
    session.flush()
    return done


def count_unindexed(session: Session) -> int:
    return repository.count_unindexed_names(session)


def mask_email(email: str) -> str:
    """What the queue shows of an address: enough to tell two apart, not to write to."""
    local, _, domain = email.partition("@")
    host, dot, tld = domain.rpartition(".")
    if not dot:
        host, tld = tld, ""
    return f"{local[:1]}•••@{host[:1]}•••{dot}{tld}"
