"""The tests' one encryption key: as the keyring the code is given, and as the base64 value
of LAWFUL_ENCRYPTION_KEY a process is started with."""

from __future__ import annotations

import base64

import pytest

from lawful.store.crypto import Keyring

MASTER_KEY = bytes(range(32))
ENCRYPTION_KEY = base64.b64encode(MASTER_KEY).decode()


@pytest.fixture(scope="session")
def keyring() -> Keyring:
    return Keyring.from_master(MASTER_KEY)


@pytest.fixture(scope="session")
def platform_keyring(keyring: Keyring) -> Keyring:
    """The same keyring, under the name the platform-store tests use."""
    return keyring
