"""Encryption and keyed hashing of the personal data the platform itself stores (DESIGN §5).

One master key (`LAWFUL_ENCRYPTION_KEY`) is split with HKDF into independent sub-keys, so a
blind index can never be used to decrypt, and an erasure hash never equals a look-up index.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

FORMAT_VERSION = b"\x01"
NONCE_BYTES = 12  # NIST SP 800-38D: 96-bit nonces for GCM


class DecryptionError(Exception):
    """Stored data could not be decrypted: wrong key, or the data was altered."""


def _derive(master: bytes, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(
        master
    )


@dataclass(frozen=True)
class Keyring:
    """Sub-keys derived from the master key; `key_id` tells which master key sealed a value."""

    encryption: bytes
    blind_index: bytes
    suppression: bytes
    erasure: bytes
    key_id: bytes

    @classmethod
    def from_master(cls, master: bytes) -> Keyring:
        return cls(
            encryption=_derive(master, "lawful/v1/encryption"),
            blind_index=_derive(master, "lawful/v1/blind-index"),
            suppression=_derive(master, "lawful/v1/suppression"),
            erasure=_derive(master, "lawful/v1/erasure-hash"),
            key_id=hashlib.sha256(_derive(master, "lawful/v1/key-id")).digest()[:4],
        )

    def encrypt(self, plaintext: bytes, *, context: str) -> bytes:
        """AES-256-GCM; `context` (e.g. "job.identity") is bound as associated data."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = AESGCM(self.encryption).encrypt(nonce, plaintext, context.encode())
        return FORMAT_VERSION + self.key_id + nonce + sealed

    def decrypt(self, token: bytes, *, context: str) -> bytes:
        head = len(FORMAT_VERSION) + len(self.key_id)
        if token[:1] != FORMAT_VERSION or token[1:head] != self.key_id:
            raise DecryptionError(
                "this value was encrypted under another LAWFUL_ENCRYPTION_KEY; "
                "restore the key that was in use when it was stored"
            )
        nonce, sealed = token[head : head + NONCE_BYTES], token[head + NONCE_BYTES :]
        try:
            return AESGCM(self.encryption).decrypt(nonce, sealed, context.encode())
        except InvalidTag:
            raise DecryptionError("stored data failed its integrity check") from None

    def decrypt_many(self, tokens: Iterable[bytes], *, context: str) -> list[bytes]:
        """`decrypt` of each token with one cipher object (a filter opens thousands)."""
        head = len(FORMAT_VERSION) + len(self.key_id)
        cipher, associated = AESGCM(self.encryption), context.encode()
        opened: list[bytes] = []
        for token in tokens:
            if token[:head] != FORMAT_VERSION + self.key_id:
                opened.append(self.decrypt(token, context=context))  # raises, saying why
                continue
            nonce, sealed = token[head : head + NONCE_BYTES], token[head + NONCE_BYTES :]
            try:
                opened.append(cipher.decrypt(nonce, sealed, associated))
            except InvalidTag:
                raise DecryptionError("stored data failed its integrity check") from None
        return opened

    def encrypt_json(self, value: Any, *, context: str) -> bytes:
        return self.encrypt(json.dumps(value, separators=(",", ":")).encode(), context=context)

    def decrypt_json(self, token: bytes, *, context: str) -> Any:
        return json.loads(self.decrypt(token, context=context))

    def index(self, text: str) -> str:
        """Blind index: equal inputs give equal hex digests, without revealing the input."""
        return hmac.new(self.blind_index, text.encode(), hashlib.sha256).hexdigest()

    def suppression_hash(self, text: str) -> str:
        return hmac.new(self.suppression, text.encode(), hashlib.sha256).hexdigest()

    def erasure_hash(self, text: str) -> str:
        """The `hash` erase strategy: a keyed pseudonym (GDPR Art. 4(5)), 128 bits in hex."""
        return hmac.new(self.erasure, text.encode(), hashlib.sha256).hexdigest()[:32]
