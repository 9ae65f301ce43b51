"""The processor register's services: record the agreement with a processor of the map
(Art. 28(3)), announce a change of sub-processor and draw up the notice owed to each client
whose processing it touches (Art. 28(2), 28(4)), and record each notice as sent.

Every change is in the audit trail. Services never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from lawful.datamap.models import DataMap, Recipient, RecipientRole
from lawful.formats import day
from lawful.processors import repository
from lawful.processors.errors import (
    InvalidProcessorError,
    NoticeConflictError,
    ProcessorNotFoundError,
)
from lawful.processors.models import (
    Agreement,
    Authorisation,
    ChangeKind,
    ClientNotice,
    SubprocessorChange,
)
from lawful.store.audit import record_event
from lawful.store.models import utcnow

PROCESSOR_ROLES = {RecipientRole.processor, RecipientRole.sub_processor}
KIND_WORDS = {
    ChangeKind.added: "add",
    ChangeKind.replaced: "replace",
    ChangeKind.removed: "stop using",
}


@dataclass(frozen=True)
class ProcessorRow:
    """A processor of the map with its agreement, if recorded, and the clients it serves."""

    recipient: str
    declared: Recipient
    agreement: Agreement | None
    clients: list[str]

    def review_due(self, today: date) -> bool:
        return (
            self.agreement is not None
            and self.agreement.review_on is not None
            and self.agreement.review_on <= today
        )


def processors(datamap: DataMap) -> dict[str, Recipient]:
    return {rid: r for rid, r in datamap.recipients.items() if r.role in PROCESSOR_ROLES}


def clients_served(datamap: DataMap, recipient: str) -> list[str]:
    """The clients (controllers) whose purposes this processor serves: those owed a notice
    when it changes (Art. 28(2))."""
    found = set()
    for pid in datamap.recipients[recipient].purposes:
        controller = datamap.purposes[pid].controller if pid in datamap.purposes else "us"
        if controller.startswith("client:"):
            found.add(controller.removeprefix("client:"))
    return sorted(found)


def register(session: Session, *, datamap: DataMap) -> list[ProcessorRow]:
    recorded = repository.agreements(session)
    return [ProcessorRow(rid, r, recorded.get(rid), clients_served(datamap, rid))
            for rid, r in processors(datamap).items()]  # fmt: skip


def _processor(datamap: DataMap, recipient: str) -> Recipient:
    found = processors(datamap).get(recipient)
    if found is None:
        known = ", ".join(sorted(processors(datamap)))
        raise ProcessorNotFoundError(f"`{recipient}` is not a processor of the map; processors: {known}.",
                                     field="recipient")  # fmt: skip
    return found


def record_agreement(
    session: Session,
    *,
    datamap: DataMap,
    recipient: str,
    signed_on: date,
    authorisation: Authorisation,
    actor: str,
    safeguards: str | None = None,
    review_on: date | None = None,
    at: datetime | None = None,
) -> Agreement:
    """Record (or update) the Art. 28(3) agreement. A processor outside the EEA without an
    adequacy decision needs its transfer safeguards written down (Art. 46)."""
    now = at or utcnow()
    declared = _processor(datamap, recipient)
    if signed_on > now.date():
        raise InvalidProcessorError("The agreement is signed in the future.", field="signed_on")
    if review_on is not None and review_on <= signed_on:
        raise InvalidProcessorError("The review must come after the signature.", field="review_on")
    text = (safeguards or "").strip() or (declared.transfer.note if declared.transfer else None)
    agreement = repository.agreement_for(session, recipient=recipient)
    if agreement is None:
        agreement = Agreement(recipient=recipient, signed_on=signed_on, authorisation=authorisation,
                              updated_by=actor)  # fmt: skip
        session.add(agreement)
    agreement.signed_on, agreement.authorisation = signed_on, authorisation
    agreement.safeguards, agreement.review_on = text, review_on
    agreement.updated_by, agreement.updated_at = actor, now
    session.flush()
    details = {"signed_on": signed_on.isoformat(), "authorisation": authorisation.value,
               "review_on": review_on.isoformat() if review_on else None}  # fmt: skip
    record_event(session, actor=actor, action="processor.agreement_recorded", subject_type="processor",
                 subject_id=recipient, details=details, at=now)  # fmt: skip
    return agreement


def announce_change(
    session: Session,
    *,
    datamap: DataMap,
    recipient: str,
    kind: ChangeKind,
    description: str,
    effective_on: date,
    actor: str,
    at: datetime | None = None,
) -> SubprocessorChange:
    """Announce a change of sub-processor: one notice per client it touches, drawn up to be
    sent before the change takes effect, so the client may object (Art. 28(2))."""
    now = at or utcnow()
    declared = _processor(datamap, recipient)
    if not description.strip():
        raise InvalidProcessorError(
            "Say what changes (which service, which data).", field="description"
        )
    if effective_on <= now.date():
        raise InvalidProcessorError("The change must take effect after today: clients may object "
                                    "before it does (Art. 28(2)).", field="effective_on")  # fmt: skip
    change = SubprocessorChange(recipient=recipient, kind=kind, description=description.strip(),
                                effective_on=effective_on, announced_by=actor, announced_at=now)  # fmt: skip
    for client in clients_served(datamap, recipient):
        change.notices.append(
            ClientNotice(client=client, text=notice_text(datamap, declared, client, change))
        )
    session.add(change)
    session.flush()
    details = {"recipient": recipient, "kind": kind.value, "effective_on": effective_on.isoformat(),
               "clients": [n.client for n in change.notices]}  # fmt: skip
    record_event(session, actor=actor, action="processor.change_announced", subject_type="processor",
                 subject_id=recipient, details=details, at=now)  # fmt: skip
    return change


def notice_text(
    datamap: DataMap, declared: Recipient, client: str, change: SubprocessorChange
) -> str:
    org, target = datamap.organization, datamap.clients[client]
    purposes = [datamap.purposes[p].name for p in declared.purposes
                if p in datamap.purposes and datamap.purposes[p].controller == f"client:{client}"]  # fmt: skip
    reply = org.dpo.email if org.dpo and org.dpo.email else org.contact.email
    return "\n\n".join([
        f"To {target.contact.name or target.name}, {target.name}",
        f"Under Article 28(2) GDPR and our data processing agreement, {org.name} informs you that "
        f"from {day(change.effective_on)} we intend to {KIND_WORDS[change.kind]} a sub-processor: "
        f"{declared.name} ({declared.country}), for: {'; '.join(purposes)}.",
        f"What changes: {change.description}",
        f"Transfer safeguards: {declared.transfer.note or declared.transfer.mechanism.value}."
        if declared.transfer else "No transfer outside the EEA.",
        "Its obligations are those of our agreement with you (Art. 28(4)). You may object to this "
        f"change before {day(change.effective_on)} by writing to {reply or org.name}.",
    ])  # fmt: skip


def mark_sent(
    session: Session, *, notice_id: int, actor: str, at: datetime | None = None
) -> ClientNotice:
    """Record that a notice went to its client, once: one conditional UPDATE, so two staff
    doing it at once record it once, and the second is told when it was."""
    now = at or utcnow()
    claimed = repository.claim_sent(session, notice_id=notice_id, at=now, actor=actor)
    notice = repository.notice(session, notice_id=notice_id)
    if notice is None:
        raise ProcessorNotFoundError(f"No notice {notice_id}.", field="notice")
    session.refresh(notice)
    if not claimed:
        sent = day(notice.sent_at) if notice.sent_at else "an earlier day"
        raise NoticeConflictError(
            f"That notice was already recorded as sent on {sent}.", field="notice"
        )
    record_event(session, actor=actor, action="processor.notice_sent", subject_type="processor",
                 subject_id=notice.change.recipient, details={"client": notice.client, "change": notice.change_id},
                 at=now)  # fmt: skip
    return notice
