"""Sealing and keyed hashing of what the platform stores about people."""

from __future__ import annotations

import pytest

from lawful.store.crypto import DecryptionError, Keyring

KEYRING = Keyring.from_master(b"\x01" * 32)


def test_sealed_values_open_again_and_hide_the_plaintext() -> None:
    token = KEYRING.encrypt_json({"email": "ann@example.org"}, context="job.identity")
    assert b"ann@example.org" not in token
    assert KEYRING.decrypt_json(token, context="job.identity") == {"email": "ann@example.org"}


def test_sealing_twice_gives_different_ciphertexts() -> None:
    assert KEYRING.encrypt(b"x", context="c") != KEYRING.encrypt(b"x", context="c")


def test_a_tampered_value_or_another_context_is_refused() -> None:
    token = bytearray(KEYRING.encrypt(b"secret", context="job.identity"))
    with pytest.raises(DecryptionError):
        KEYRING.decrypt(bytes(token), context="job_step.payload")
    token[-1] ^= 1
    with pytest.raises(DecryptionError, match="integrity"):
        KEYRING.decrypt(bytes(token), context="job.identity")


def test_a_value_sealed_under_another_key_says_which_key_is_needed() -> None:
    token = Keyring.from_master(b"\x02" * 32).encrypt(b"secret", context="c")
    with pytest.raises(DecryptionError, match="another LAWFUL_ENCRYPTION_KEY"):
        KEYRING.decrypt(token, context="c")


def test_blind_indexes_are_stable_and_differ_from_the_other_hashes() -> None:
    assert KEYRING.index("email=ann@example.org") == KEYRING.index("email=ann@example.org")
    digests = {
        KEYRING.index("v"),
        KEYRING.suppression_hash("v"),
        KEYRING.erasure_hash("v"),
        Keyring.from_master(b"\x02" * 32).index("v"),
    }
    assert len(digests) == 4
