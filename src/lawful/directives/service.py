"""The post-mortem directives register's services (Loi Informatique et Libertés art. 85):
record a person's directives, verify their identity, and apply them once — when the
designated person reports the death with proof — as rights requests and staff tasks; each
step audited (references and kinds only, never the sealed texts). Services never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lawful.directives.errors import (
    DirectiveNotFoundError,
    DirectiveStateError,
    InvalidDirectiveError,
)
from lawful.directives.models import Directive, DirectiveKind, DirectiveStatus, Instruction
from lawful.engine.identity import normalise_email
from lawful.requests.context import RequestsContext
from lawful.requests.intake import Intake
from lawful.requests.proof import confirm_identity
from lawful.requests.service import submit_request
from lawful.store.audit import record_event
from lawful.store.crypto import Keyring
from lawful.store.models import utcnow
from lawful.store.numbering import insert_numbered

# LIL art. 85 gives post-mortem directives to people whose data is processed under French law;
# other member states' laws differ (the GDPR leaves the dead to them, Recital 27).
COUNTRIES = ("FR",)
MAX_WORDING = 5000


@dataclass(frozen=True)
class Person:
    name: str
    email: str


@dataclass(frozen=True)
class NewDirective:
    kind: str
    country: str
    person: Person
    designee: Person
    instructions: Sequence[str]
    wording: str | None = None  # the directive's own words, sealed


def _email(value: str, field: str) -> str:
    try:
        return normalise_email(value)
    except ValueError as error:
        raise InvalidDirectiveError(f"{error}", field=field) from None


def _people_index(keyring: Keyring, email: str) -> str:
    return keyring.index(f"email:{email}")


def record_directive(
    session: Session, *, keyring: Keyring, new: NewDirective, actor: str, at: datetime | None = None
) -> Directive:
    """Record a person's directives as they gave them; they await the check of identity."""
    now = at or utcnow()
    country = new.country.strip().upper()
    if country not in COUNTRIES:
        raise InvalidDirectiveError(
            "Post-mortem directives are a right of French law (Loi Informatique et Libertés "
            f"art. 85): record them for people living in France (FR), not {country or 'nowhere'}.",
            field="country",
        )
    try:
        kind = DirectiveKind(new.kind)
    except ValueError:
        raise InvalidDirectiveError(
            "Say whether the directives are general or specific (LIL art. 85 I).", field="kind"
        ) from None
    instructions = list(dict.fromkeys(new.instructions))
    unknown = [i for i in instructions if i not in Instruction.__members__]
    if unknown or not instructions:
        raise InvalidDirectiveError(
            f"Choose what the directives ask among: {', '.join(Instruction)}.",
            field="instructions",
        )
    wording = (new.wording or "").strip()
    if Instruction.task in instructions and not wording:
        raise InvalidDirectiveError(
            "Write the directive's own words: a task needs them to be carried out.",
            field="wording",
        )
    if len(wording) > MAX_WORDING:
        raise InvalidDirectiveError(
            f"Keep the words under {MAX_WORDING} characters.", field="wording"
        )
    person_email = _email(new.person.email, "person_email")
    designee_email = _email(new.designee.email, "designee_email")
    for field, name in (("person_name", new.person.name), ("designee_name", new.designee.name)):
        if not name.strip():
            raise InvalidDirectiveError("Give the name as on their identity document.", field=field)
    if person_email == designee_email:
        raise InvalidDirectiveError(
            "The designated person must be someone else (LIL art. 85 I).", field="designee_email"
        )
    directive = insert_numbered(session, Directive.reference, "PM", now, lambda reference: Directive(
        reference=reference, kind=kind, country=country,
        instructions=instructions, person_sealed=b"", person_index="",
        designee_sealed=b"", designee_index="", created_by=actor, created_at=now,
        updated_at=now,
    ))  # fmt: skip
    for column, who, email in (("person", new.person, person_email),
                               ("designee", new.designee, designee_email)):  # fmt: skip
        value = {"name": who.name.strip(), "email": email}
        setattr(directive, f"{column}_sealed",
                keyring.encrypt_json(value, context=_context(directive, column)))  # fmt: skip
        setattr(directive, f"{column}_index", _people_index(keyring, email))
    if wording:
        directive.wording_sealed = keyring.encrypt(
            wording.encode(), context=_context(directive, "wording")
        )
    _audit(session, directive, actor, "directive.recorded",
           {"kind": kind.value, "instructions": instructions}, now)  # fmt: skip
    return directive


def _context(directive: Directive, column: str) -> str:
    return f"postmortem_directive.{column}:{directive.id}"


@dataclass(frozen=True)
class Opened:
    person: Person
    designee: Person
    wording: str | None
    proof: str | None


def open_directive(keyring: Keyring, directive: Directive) -> Opened:
    person = keyring.decrypt_json(directive.person_sealed, context=_context(directive, "person"))
    designee = keyring.decrypt_json(
        directive.designee_sealed, context=_context(directive, "designee")
    )

    def text(column: str) -> str | None:
        sealed: bytes | None = getattr(directive, f"{column}_sealed")
        if sealed is None:
            return None
        return keyring.decrypt(sealed, context=_context(directive, column)).decode()

    return Opened(Person(**person), Person(**designee), text("wording"), text("proof"))


def get_directive(session: Session, *, reference: str) -> Directive:
    query = select(Directive).where(Directive.reference == reference.strip().upper())
    directive = session.scalars(query).first()
    if directive is None:
        raise DirectiveNotFoundError(
            f"No directive has the reference {reference!r}: see the directives page.",
            field="reference",
        )
    return directive


def list_directives(session: Session) -> list[Directive]:
    return list(session.scalars(select(Directive).order_by(Directive.reference.desc())))


def verify_directive(
    session: Session, *, reference: str, how: str, actor: str, at: datetime | None = None
) -> Directive:
    """Record that the person's identity was checked when they gave the directives."""
    now = at or utcnow()
    directive = get_directive(session, reference=reference)
    how = " ".join(how.split())[:200]
    if not how:
        raise InvalidDirectiveError(
            "Say how the identity was checked (an ID document seen, a signed letter).",
            field="how",
        )
    if directive.status is not DirectiveStatus.recorded:
        raise DirectiveStateError(
            f"{directive.reference} is already {directive.status.value}.", field="status"
        )
    directive.status = DirectiveStatus.verified
    directive.verified_at, directive.verified_by, directive.verified_how = now, actor, how
    directive.updated_at = now
    _audit(session, directive, actor, "directive.verified", {}, now)
    return directive


def report_death(
    session: Session,
    *,
    ctx: RequestsContext,
    reference: str,
    reporter_email: str,
    proof: str,
    actor: str,
    at: datetime | None = None,
) -> Directive:
    """The designated person reports the death with proof (LIL art. 85 I: they carry out the
    directives): the directive is applied once, its instructions becoming an erasure request
    for the person and staff tasks (post-mortem requests in the queue) for the rest.

    Applying is a compare-and-set on the status, so two reports at once apply it once: the
    second waits for the first's row lock and finds the directive applied (409)."""
    now = at or utcnow()
    keyring = ctx.keyring
    directive = get_directive(session, reference=reference)
    reporter = _email(reporter_email, "reporter_email")
    if _people_index(keyring, reporter) != directive.designee_index:
        raise InvalidDirectiveError(
            "Only the person the directives designate may report the death (LIL art. 85 I): "
            "this address is not theirs.",
            field="reporter_email",
        )
    proof = proof.strip()
    if not proof:
        raise InvalidDirectiveError(
            "Describe the proof of death received (a death certificate, its date and issuer).",
            field="proof",
        )
    if directive.status is DirectiveStatus.recorded:
        raise DirectiveStateError(
            f"{directive.reference} is not verified: check the person's identity first.",
            field="status",
        )
    claimed = session.execute(
        update(Directive)
        .where(Directive.id == directive.id, Directive.status == DirectiveStatus.verified)
        .values(
            status=DirectiveStatus.applied,
            death_reported_at=now,
            death_recorded_by=actor,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise DirectiveStateError(
            f"{directive.reference} was already applied: see its requests.", field="status"
        )
    session.refresh(directive)
    directive.proof_sealed = keyring.encrypt(proof.encode(), context=_context(directive, "proof"))
    opened = open_directive(keyring, directive)
    _audit(session, directive, actor, "directive.death_reported", {}, now)
    references = [_request(session, ctx, directive, opened, i, actor, now)
                  for i in directive.instructions]  # fmt: skip
    directive.created_requests = references
    _audit(session, directive, actor, "directive.applied", {"requests": references}, now)
    return directive


def _request(
    session: Session,
    ctx: RequestsContext,
    directive: Directive,
    opened: Opened,
    instruction: str,
    actor: str,
    now: datetime,
) -> str:
    """An erasure request for the person; a post-mortem request (handled by staff) for access
    by the designated person and for any other task, carrying the directive's words."""
    kind = Instruction(instruction)
    message = {
        Instruction.erasure: f"Post-mortem directive {directive.reference}: erase (LIL art. 85).",
        Instruction.access: f"Post-mortem directive {directive.reference}: give the designated "
        f"person ({opened.designee.name}, {opened.designee.email}) the data (LIL art. 85 I).",
        Instruction.task: f"Post-mortem directive {directive.reference}: {opened.wording or ''}",
    }[kind][:5000]
    intake = Intake(
        request_type="erasure" if kind is Instruction.erasure else "post_mortem",
        email=opened.person.email, country=directive.country, name=opened.person.name,
        message=message, channel="post",
    )  # fmt: skip
    request = submit_request(session, ctx=ctx, intake=intake, actor=actor, now=now).request
    how = f"post-mortem directive {directive.reference}: identity verified, death proven"
    confirm_identity(session, ctx=ctx, reference=request.reference, actor=actor, how=how, now=now)
    return request.reference


def _audit(
    session: Session,
    directive: Directive,
    actor: str,
    action: str,
    details: dict[str, Any],
    at: datetime,
) -> None:
    record_event(session, actor=actor, action=action, subject_type="directive",
                 subject_id=directive.reference, details=details, at=at)  # fmt: skip
