"""Who did something, as a person reads it: the audit trail, timelines and registers store
an actor as `staff:<id>`, `cli:<user>`, `person`, `policy`…; pages show the staff member's
name (looked up once per page, `actor_names`) and the others in words."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy.orm import Session

from lawful.auth.repository import user_names

STAFF_PREFIX = "staff:"
# Actors that are not people of the staff (the values Lawful itself writes).
FIXED: Mapping[str, str] = {
    "person": "the person",
    "policy": "Lawful (policy)",
    "system": "Lawful",
    "scheduler": "Lawful (schedule)",
    "demo": "the demo",
    "cli": "the command line",
}
_KINDS: Mapping[str, str] = {
    "cli": "{} (command line)",
    "agent": "an authorized agent",
    "opendsr": "{} (OpenDSR)",
    "request": "request {}",
    "worker": "worker {}",
}


def actor_names(session: Session, actors: Iterable[str | None]) -> dict[str, str]:
    """Every actor of `actors` in words, staff by name: one query whatever their number."""
    wanted = {a for a in actors if a}
    staff_ids = {a.removeprefix(STAFF_PREFIX) for a in wanted if a.startswith(STAFF_PREFIX)}
    names = user_names(session, staff_ids)
    return {actor: describe_actor(actor, names) for actor in wanted}


def describe_actor(actor: str, staff_names: Mapping[str, str]) -> str:
    """`staff:<id>` → the name (or "a former staff member" once the account is gone),
    `cli:marie` → "marie (command line)", `person` → "the person"."""
    if actor in FIXED:
        return FIXED[actor]
    kind, sep, rest = actor.partition(":")
    if not sep:
        return actor
    if kind == "staff":
        return staff_names.get(rest, "a former staff member")
    template = _KINDS.get(kind)
    return template.format(rest) if template else actor
