"""A request's timeline and result as staff read them: each event a sentence built from its
structured details ("Deadline extended by 1 month: answer by 7 Feb 2027"), the result in
sentences ("Found 6 records in 3 datasets: …"), the laws named with why each applies. The
stored facts stay as they are (the audit trail hashes them); only their reading is here."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lawful import formats
from lawful.datamap.models import DataMap
from lawful.http.sentences import job_title
from lawful.law.denials import DENIAL_GROUNDS, DenialReason
from lawful.law.jurisdictions import (
    JurisdictionError,
    applicable_jurisdictions,
    law_name,
)
from lawful.requests.models import RightsRequest

MAIL_NAMES: Mapping[str, str] = {
    "receipt": "the receipt",
    "verification_code": "the verification code",
    "download_code": "the download code",
    "extension": "the extension notice",
    "completion": "the answer",
    "denial": "the denial",
    "expired": "the notice of expiry",
    "cancelled": "the notice of cancellation",
    "client_forward": "the request to a client",
}
UNITS: Mapping[str, tuple[str, str]] = {"months": ("month", "months"), "days": ("day", "days")}


@dataclass(frozen=True)
class EventLine:
    """One timeline entry: when, who, what happened in a sentence, and staff-only notes."""

    at: datetime
    actor: str
    text: str
    notes: tuple[str, ...] = ()
    raw: str = ""  # the stored details, pretty-printed, for an event without a sentence


@dataclass(frozen=True)
class LawLine:
    name: str  # "GDPR (EU)"
    why: str  # "GDPR Art. 3(1): the organisation is established in France"
    deciding: bool = False


@dataclass(frozen=True)
class Reading:
    """What the request page shows in words."""

    timeline: list[EventLine]
    result: list[str] = field(default_factory=list)
    result_raw: str = ""
    laws: list[LawLine] = field(default_factory=list)


def plural(count: int, one: str, many: str | None = None) -> str:
    return f"{formats.number(count)} {one if count == 1 else (many or one + 's')}"


def pretty_json(value: Any) -> str:
    """Stored data shown as it is, for the curious: indented, accents as themselves."""
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)


def read_request(request: RightsRequest, datamap: DataMap) -> Reading:
    """The request's timeline, result and laws in words."""
    return Reading(
        timeline=[
            event_line(e.at, e.actor, e.action, dict(e.details or {}), datamap)
            for e in request.events
        ],
        result=result_lines(request.result or {}, datamap),
        result_raw=pretty_json(request.result) if request.result else "",
        laws=laws_of(request, datamap),
    )


def event_line(
    at: datetime, actor: str, action: str, details: dict[str, Any], datamap: DataMap
) -> EventLine:
    """One timeline entry in a sentence; an action without words keeps its details, folded."""
    return _Words(datamap).event(at, actor, action, details)


def result_lines(result: Mapping[str, Any], datamap: DataMap) -> list[str]:
    """A request's stored result in sentences."""
    return _Words(datamap).result(result)


def laws_of(request: RightsRequest, datamap: DataMap) -> list[LawLine]:
    """The laws recorded at receipt, named, each with why it applies (as the law module
    finds it from where the person lives and where the organisation is established)."""
    try:
        found = applicable_jurisdictions(
            organization=datamap.organization,
            residence_country=request.residence_country,
            residence_region=request.residence_region,
        )
    except JurisdictionError:
        found = []
    reasons = {item.jurisdiction.value: item.reason for item in found}
    return [
        LawLine(
            law_name(code),
            reasons.get(code, "applied when the request was received"),
            deciding=code == request.jurisdiction,
        )
        for code in request.jurisdictions
    ]


class _Words:
    def __init__(self, datamap: DataMap) -> None:
        self.datamap = datamap

    def dataset(self, key: object) -> str:
        """A dataset by its id in words ("payment_cards" → "Payment cards"): staff know the
        map's ids, and a description is a sentence, too long for a list."""
        return str(key).replace("_", " ").capitalize()

    def client(self, key: object) -> str:
        found = self.datamap.clients.get(str(key))
        return found.name if found else str(key)

    def datasets(self, keys: Sequence[object]) -> str:
        return ", ".join(self.dataset(k) for k in keys)

    # --- the timeline --------------------------------------------------------------------------

    def event(self, at: datetime, actor: str, action: str, details: dict[str, Any]) -> EventLine:
        build = _EVENTS.get(action)
        if build is None:
            text = action.replace("_", " ").capitalize()
            return EventLine(at, actor, text, raw=pretty_json(details) if details else "")
        text, notes = build(self, details)
        return EventLine(at, actor, text, tuple(notes))

    # --- the result ----------------------------------------------------------------------------

    def result(self, result: Mapping[str, Any]) -> list[str]:
        lines: list[str] = []
        datasets = result.get("datasets")
        if isinstance(datasets, dict) and datasets:
            parts = ", ".join(
                f"{self.dataset(k)} ({formats.number(v)})" for k, v in datasets.items()
            )
            records = int(result.get("records", sum(datasets.values())))
            lines.append(
                f"Found {plural(records, 'record')} in {plural(len(datasets), 'dataset')}: {parts}."
            )
        elif "records" in result:
            lines.append(f"Found {plural(int(result['records']), 'record')}.")
        if result.get("changed"):
            lines.append(f"Changed or erased {plural(int(result['changed']), 'record')}.")
        kept = result.get("kept_records") or []
        if kept:
            lines.append(f"Kept {plural(len(kept), 'record')}, as the law requires:")
            lines.extend(self._kept(k) for k in kept)
        if result.get("consent_events"):
            lines.append(
                f"Recorded {plural(int(result['consent_events']), 'consent choice')} in the ledger."
            )
        if result.get("suppressed"):
            lines.append(
                f"Added {plural(int(result['suppressed']), 'contact')} to the suppression list."
            )
        manual = result.get("manual_datasets") or []
        if manual:
            lines.append(
                f"To do by hand in {plural(len(manual), 'dataset')}: {self.datasets(manual)}."
            )
        if result.get("failed"):
            lines.append(f"Could not be done in {plural(int(result['failed']), 'dataset')}.")
        lines.extend(self._forward(f) for f in result.get("forwards") or [])
        if result.get("handled_by_staff"):
            note = str(result.get("note") or "").strip()
            lines.append(f"Handled by staff: {note}" if note else "Handled by staff.")
        return lines

    def _kept(self, kept: Mapping[str, Any]) -> str:
        text = f"{self.dataset(kept.get('dataset'))}: {kept.get('why') or 'kept'}"
        return f"{text} (until {formats.day(kept['until'])})" if kept.get("until") else text

    def _forward(self, forward: Mapping[str, Any]) -> str:
        name = forward.get("client_name") or self.client(forward.get("client"))
        status = str(forward.get("status") or "")
        if status in ("sent", "recorded"):
            how = f" by {forward['channel']}" if forward.get("channel") else ""
            when = f" on {formats.day(forward['sent_at'])}" if forward.get("sent_at") else ""
            return f"Sent on to {name}{how}{when}."
        if status == "open":
            return f"To send on to {name} by hand ({forward.get('method') or 'their channel'})."
        return f"Not sent on to {name}: {forward.get('detail') or status}."


def _received(w: _Words, d: dict[str, Any]) -> tuple[str, list[str]]:
    channel = str(d.get("channel", "")).replace("_", " ")
    agent = f", from authorized agent {d['agent']}" if d.get("agent") else ""
    text = f"Received by {channel or 'an unknown channel'}{agent}"
    if d.get("respond_by"):
        text += f"; to answer by {formats.day(d['respond_by'])}"
    notes = []
    laws = [law_name(str(j)) for j in d.get("jurisdictions") or []]
    notes.append(f"Laws: {', '.join(laws)}" if laws else "No privacy law applies")
    if d.get("verification"):
        notes.append(f"Proof of identity asked: {str(d['verification']).replace('_', ' ')}")
    return text, notes


def _extended(w: _Words, d: dict[str, Any]) -> tuple[str, list[str]]:
    amount = int(d.get("amount", 0))
    one, many = UNITS.get(str(d.get("unit")), (str(d.get("unit")), str(d.get("unit"))))
    return (
        f"Deadline extended by {amount} {one if amount == 1 else many}: answer by {formats.day(d.get('respond_by'))}",
        [],
    )


def _denied(w: _Words, d: dict[str, Any]) -> tuple[str, list[str]]:
    try:
        title = DENIAL_GROUNDS[DenialReason(str(d.get("reason")))].title
    except ValueError:
        title = str(d.get("reason", "")).replace("_", " ")
    return f"Denied: {title}", []


def _closed(label: str) -> Callable[[_Words, dict[str, Any]], tuple[str, list[str]]]:
    def build(w: _Words, d: dict[str, Any]) -> tuple[str, list[str]]:
        summary = d.get("summary") or {}
        return f"{label}{': ' + _summary(summary) if summary else ''}", []

    return build


def _summary(summary: Mapping[str, Any]) -> str:
    words = {"records": "record found", "changed": "changed", "kept": "kept",
             "forwarded": "sent on", "manual": "to do by hand", "failed": "failed"}  # fmt: skip
    parts = []
    for key, label in words.items():
        if key in summary:
            count = int(summary[key])
            noun = "record" if count == 1 else "records"
            parts.append(
                f"{formats.number(count)} {noun} found"
                if key == "records"
                else f"{formats.number(count)} {label}"
            )
    return ", ".join(parts)


def _stopped(w: _Words, d: dict[str, Any]) -> tuple[str, list[str]]:
    problems = d.get("problems")
    listed = [str(p) for p in problems] if isinstance(problems, list) else []
    count = len(listed) if isinstance(problems, list) else int(problems or 0)
    return f"The run stopped on {plural(count, 'problem')}", listed


def _fixed(text: str) -> Callable[[_Words, dict[str, Any]], tuple[str, list[str]]]:
    return lambda w, d: (text, [])


def _mail(verb: str) -> Callable[[_Words, dict[str, Any]], tuple[str, list[str]]]:
    def build(w: _Words, d: dict[str, Any]) -> tuple[str, list[str]]:
        mail = str(d.get("mail", ""))
        return f"{verb} {MAIL_NAMES.get(mail, mail.replace('_', ' ') + ' mail')}", _error(d)

    return build


def _error(d: Mapping[str, Any]) -> list[str]:
    return [f"Error: {d['error']}"] if d.get("error") else []


_EVENTS: dict[str, Callable[[_Words, dict[str, Any]], tuple[str, list[str]]]] = {
    "received": _received,
    "code_sent": _fixed("Sent the person a code to confirm the request is theirs"),
    "code_accepted": _fixed("The person entered their code"),
    "verified": lambda w, d: (
        f"Identity confirmed{' (' + str(d['how']) + ')' if d.get('how') else ''}",
        [],
    ),
    "data_points_matched": lambda w, d: (
        f"{d.get('matched')} of the {d.get('needed')} details needed matched the records held",
        [],
    ),
    "data_points_short": lambda w, d: (
        f"Only {d.get('matched')} of the {d.get('needed')} details needed matched the records held: staff decide",
        [],
    ),
    "approved": _fixed("Approved"),
    "running": _fixed("Running through the data stores"),
    "awaiting_staff": lambda w, d: (
        f"Waiting for staff to send it on to {', '.join(w.client(c) for c in d.get('clients') or [])}",
        [],
    ),
    "extended": _extended,
    "denied": _denied,
    "cancelled": _fixed("Cancelled"),
    "expired": lambda w, d: (
        f"Closed: the person did not confirm it within {plural(int(d.get('days', 0)), 'day')}",
        [],
    ),
    "completed": _closed("Completed"),
    "partially_completed": _closed("Completed in part"),
    "forwarded": _closed("Forwarded to the clients who decide about the data"),
    "execution_failed": _stopped,
    "retried": _fixed("Run again"),
    "mail_sent": _mail("Mailed"),
    "mail_not_needed": _mail("No need to send"),
    "mail_failed": _mail("Could not send"),
    "job_retried": lambda w, d: (f"{job_title(str(d.get('job', '')))}: sent off again", []),
    "job_failed": lambda w, d: (
        f"{job_title(str(d.get('job', '')))}: gave up after its last attempt",
        _error(d),
    ),
    "document_received": lambda w, d: (
        f"Identity document received ({d.get('content_type', 'file')}, {formats.number(round(int(d.get('size', 0)) / 1024, 1))} KB)",
        [],
    ),
    "document_viewed": _fixed("Identity document opened"),
    "documents_deleted": lambda w, d: (
        f"Deleted {plural(int(d.get('count', 0)), 'identity document')}",
        [],
    ),
    "package_stored": lambda w, d: (
        f"Prepared the person's data for download ({formats.number(round(int(d.get('size', 0)) / 1024, 1))} KB)",
        [],
    ),
    "download_code_sent": _fixed("Sent the person a code to download their data"),
    "download_link_issued": _fixed("The person entered their download code"),
    "downloaded": _fixed("The person downloaded their data"),
    "assigned": lambda w, d: (
        f"Given to {d.get('assignee', 'a staff member')}"
        + (f" (before: {d['previous']})" if d.get("previous") else ""),
        [],
    ),
    "unassigned": lambda w, d: (
        f"No longer given to anyone (before: {d.get('previous', 'a staff member')})",
        [],
    ),
    "note_added": lambda w, d: (
        f"Added a staff note ({plural(int(d.get('length', 0)), 'character')})",
        [],
    ),
    "forward_recorded": lambda w, d: (
        f"Recorded as sent on to {w.client(d.get('client'))} by {d.get('channel', 'hand')}",
        [str(d["note"])] if d.get("note") else [],
    ),
}


def audit_sentence(action: str, details: Mapping[str, Any], datamap: DataMap) -> str | None:
    """A `request.*` audit entry in words ("Request R-7KQ2 (erasure): Approved"), for the
    audit trail (`lawful.http.sentences`)."""
    if not action.startswith("request."):
        return None
    name = action.removeprefix("request.")
    if name == "purged":  # 11 CCR §7101(a): request records are kept 24 months
        gone = details.get("requests") or []
        packages = int(details.get("packages") or 0)
        return (f"Purged {plural(len(gone), 'request record')} past their 24 months and "
                f"{plural(packages, 'download package')}")  # fmt: skip
    facts = {k: v for k, v in details.items() if k not in ("reference", "type", "from", "to")}
    about = (
        f"Request {details.get('reference', '')} ({str(details.get('type', '')).replace('_', ' ')})"
    )
    build = _EVENTS.get(name)
    if build is None:
        return None if facts else f"{about}: {name.replace('_', ' ')}"
    text, _notes = build(_Words(datamap), facts)
    return f"{about}: {text}"
