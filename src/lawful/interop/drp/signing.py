"""Signed DRP messages (DRP 1.0 §3.07): a JSON document with its Ed25519 signature put in
front (libsodium's "combined mode"), base64-encoded, sent as `text/plain`. Checked with
libsodium itself (PyNaCl), in the spec's order: decode first, then the signature."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Any

from nacl.exceptions import BadSignatureError, CryptoError
from nacl.signing import VerifyKey

from lawful.interop.drp.errors import DrpError, bad_request, forbidden

SIGNATURE_BYTES = 64
KEY_BYTES = 32


def decode_message(body: bytes) -> bytes:
    """Step 1: the body decodes from base64 into a buffer (signature + message)."""
    try:
        raw = base64.b64decode(body.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise bad_request(
            "The body is not base64: send the signed message base64-encoded."
        ) from None
    if len(raw) <= SIGNATURE_BYTES:
        raise bad_request("The body is too short to hold a 64-byte signature and a message.")
    return raw


def verify_key(encoded: str) -> VerifyKey:
    """An agent's verify key from its base64 form (DRP 0.9.1+); ValueError if it is not one."""
    try:
        raw = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the verify key is not base64") from None
    if len(raw) != KEY_BYTES:
        raise ValueError(f"the verify key is {len(raw)} bytes, not {KEY_BYTES} (Ed25519)")
    return VerifyKey(raw)


def open_signed(raw: bytes, key: VerifyKey) -> bytes:
    """Step 2: the signature at the start validates with the agent's key; the message."""
    try:
        return bytes(key.verify(raw))
    except (BadSignatureError, CryptoError):
        raise forbidden("The signature does not match the agent's verify key.") from None


def claims_of(message: bytes) -> dict[str, Any]:
    try:
        claims = json.loads(message)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise bad_request("The signed message is not a JSON document.") from None
    if not isinstance(claims, dict):
        raise bad_request("The signed message must be a JSON object.")
    return claims


def timestamp(claims: dict[str, Any], name: str) -> datetime:
    value = claims.get(name)
    if not isinstance(value, str):
        raise bad_request(f"`{name}` is missing: give an ISO 8601 timestamp.")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise bad_request(f"`{name}` {value!r} is not an ISO 8601 timestamp.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def check_envelope(
    claims: dict[str, Any], *, agent_id: str, business_id: str, now: datetime
) -> None:
    """Steps 3 to 6 (DRP 1.0 §3.07), in order: the agent is the token's, the business is us,
    issued-at is not in the future, expires-at is not past."""
    if claims.get("agent-id") != agent_id:
        raise forbidden("`agent-id` does not match the agent this token was given to.")
    if claims.get("business-id") != business_id:
        raise forbidden(f"`business-id` is not this business ({business_id}).")
    if now < timestamp(claims, "issued-at"):
        raise bad_request("`issued-at` is in the future: check the agent's clock.")
    if now >= timestamp(claims, "expires-at"):
        raise DrpError(400, "The request expired (`expires-at` is past).", fatal=True)
