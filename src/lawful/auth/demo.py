"""Demo staff: one account per role, with random passwords shown once to whoever runs
`lawful demo`. Never used outside the demo."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from lawful.auth.models import Role
from lawful.auth.service import create_user
from lawful.store.crypto import Keyring

DEMO_DOMAIN = "demo.lawful.example"  # RFC 2606: .example never reaches anyone
DEMO_NAMES = {
    Role.admin: "Ada Admin",
    Role.privacy_officer: "Pia Officer",
    Role.analyst: "Andy Analyst",
    Role.auditor: "Audrey Auditor",
}


@dataclass(frozen=True)
class DemoAccount:
    role: Role
    email: str
    password: str


def create_demo_staff(session: Session, *, keyring: Keyring) -> list[DemoAccount]:
    """One staff account per role, each with a fresh random password."""
    accounts = []
    for role, name in DEMO_NAMES.items():
        email = f"{role.value.replace('_', '-')}@{DEMO_DOMAIN}"
        password = secrets.token_urlsafe(12)  # 96 bits
        create_user(
            session, keyring=keyring, email=email, name=name, role=role, password=password,
            actor="demo",
        )  # fmt: skip
        accounts.append(DemoAccount(role, email, password))
    return accounts
