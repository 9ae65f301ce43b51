"""Audit entries as sentences. Each domain may contribute the words for its own actions
(`Contribution.sentences`: `request.*` by the requests domain); any other action is read by
`generic`: its name in words and its details as "what: value" pairs, never a Python repr or a
JSON escape. The stored entry stays as it is (the hash chain covers it)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from lawful.datamap.models import DataMap
from lawful.formats import number

# (action, details, map) → the sentence, or None when the domain has no words for it.
AuditSentence = Callable[[str, Mapping[str, Any], DataMap], str | None]

_ID = re.compile(r"[0-9a-f]{32}")  # `lawful.store.models.new_id`
# What a few words read as, when an action or a detail's name is turned into words.
_WORDS: Mapping[str, str] = {"api": "API", "drp": "DRP", "opendsr": "OpenDSR", "id": "ID"}


# The jobs Lawful runs, as the Jobs page and timelines name them.
JOB_TITLES: Mapping[str, str] = {
    "requests.execute": "Run of a request through the data stores",
    "requests.mail": "Mail to a person",
    "requests.match_data_points": "Check of a person's details against the records",
    "requests.housekeeping": "Expiry and clean-up of requests",
    "retention.sweep": "Retention sweep",
    "consent.expire": "Expiry of consents",
    "consent.reconsent": "Mails asking people to consent again",
    "audit.checkpoint": "Checkpoint of the audit trail",
    "discovery.scan": "Discovery scan",
    "drp.status_callback": "Status sent to an authorized agent (DRP)",
    "opendsr.poll": "Status asked of a processor (OpenDSR)",
    "opendsr.run": "Run of an OpenDSR request",
    "opendsr.callback": "Status sent to a controller (OpenDSR)",
    "markers.webhook": "Decision sent to a system (signed webhook)",
}


def job_title(kind: str) -> str:
    """`retention.sweep` → "Retention sweep"."""
    return JOB_TITLES.get(kind) or words(kind)


def words(name: str) -> str:
    """`api_token.created` → "API token created"."""
    parts = [_WORDS.get(p, p) for p in name.replace(".", " ").replace("_", " ").split()]
    text = " ".join(parts)
    return text[:1].upper() + text[1:]


def value_words(value: Any) -> str:
    """A detail's value in words: lists joined, mappings as "key value", yes/no."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return number(value)
    if isinstance(value, Mapping):
        return ", ".join(f"{words(str(k)).lower()} {value_words(v)}" for k, v in value.items())
    if isinstance(value, list | tuple | set):
        return ", ".join(value_words(v) for v in value) or "none"
    if value is None:
        return "none"
    return str(value)


def generic(action: str, details: Mapping[str, Any]) -> str:
    """`Legal hold placed: scope: person; reason: litigation`. Internal ids (a session's, a
    hold's) are left to the stored details: they name nothing a person knows."""
    shown = "; ".join(
        f"{words(str(k)).lower()}: {value_words(v)}" for k, v in details.items() if not _is_id(k, v)
    )
    return f"{words(action)}: {shown}" if shown else words(action)


def _is_id(key: str, value: Any) -> bool:
    if key == "id" or key.endswith("_id"):
        return True
    if isinstance(value, list):
        return bool(value) and all(isinstance(v, str) and _ID.fullmatch(v) for v in value)
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def describe(
    action: str,
    details: Mapping[str, Any],
    datamap: DataMap,
    sentences: Sequence[AuditSentence] = (),
) -> str:
    """The entry in the words of the domain that wrote it, else in `generic` words."""
    for sentence in sentences:
        found = sentence(action, details, datamap)
        if found is not None:
            return found
    return generic(action, details)


def raw(details: Mapping[str, Any]) -> str:
    """The stored details for the curious: indented, accents as themselves."""
    return json.dumps(details, indent=2, ensure_ascii=False, sort_keys=True, default=str)
