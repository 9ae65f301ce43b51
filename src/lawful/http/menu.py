"""The admin console's menu. A domain that adds a console page adds its entry to
`lawful.web.app.ADMIN_MENU` (one line); the page passes the entry's `key` as `active`."""

from __future__ import annotations

from dataclasses import dataclass

from lawful.auth.models import Role
from lawful.auth.roles import ALL_ROLES


@dataclass(frozen=True)
class MenuEntry:
    key: str  # the `active` value of the page, to mark it current
    title: str
    href: str
    roles: tuple[Role, ...] = ALL_ROLES  # who sees the entry (the page checks again)
