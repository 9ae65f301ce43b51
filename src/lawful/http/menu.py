"""The admin console's menu. A domain that adds a console page lists its entry in its
`routes.py` contribution (`lawful.http.contribution`); the app shows the entries of every
domain sorted by `order`, and the page passes the entry's `key` as `active`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lawful.auth.models import Role
from lawful.auth.roles import ALL_ROLES


@dataclass(frozen=True)
class MenuEntry:
    key: str  # the `active` value of the page, to mark it current
    title: str
    href: str
    roles: tuple[Role, ...] = ALL_ROLES  # who sees the entry (the page checks again)
    order: int = 1000  # place in the menu, lowest first (steps of 10 leave room)


def arrange(entries: Iterable[MenuEntry]) -> tuple[MenuEntry, ...]:
    """The menu in its order (entries of equal `order` keep the order they came in)."""
    return tuple(sorted(entries, key=lambda entry: entry.order))
