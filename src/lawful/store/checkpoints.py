"""Signed checkpoints of the audit trail's head, kept outside the store.

A checkpoint says "the first `count` entries end in hash `head`", at a time, signed with
Ed25519 so anyone holding the public key can check it. It goes to an append-only JSONL file
(by default beside the store, in the data folder) and, when configured, to syslog or an
HTTP endpoint, where whoever can write the database cannot reach it. `verify_chain` compares
the trail against the last one: fewer entries means the end was cut; another hash at
`count` means the chain was rebuilt.

The chain key and the signing key come from one secret (`LAWFUL_AUDIT_KEY`, else derived
from the encryption key), split with HKDF like the encryption sub-keys.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lawful.config import Settings, load_audit_secret
from lawful.store.audit import (
    AUDIT_INFO,
    GENESIS,
    PENDING_INFO,
    Anchor,
    AuditEntry,
    ChainBreak,
    verify_chain,
)

logger = logging.getLogger(__name__)

CHECKPOINT_FILE_NAME = "audit-checkpoints.jsonl"
SYSLOG_PORT = 514
SEND_TIMEOUT_SECONDS = 5.0
# A checkpoint line is ~300 bytes; reading the file's end finds the last one.
TAIL_BYTES = 64 * 1024


class CheckpointError(Exception):
    """A checkpoint could not be read or does not carry a valid signature."""


def _derive(secret: bytes, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(
        secret
    )


@dataclass(frozen=True)
class Checkpoint:
    count: int
    head: str
    at: datetime
    key_id: str
    signature: str = ""

    def payload(self) -> bytes:
        """The signed bytes: everything but the signature, in a canonical JSON form."""
        content = {
            "count": self.count,
            "head": self.head,
            "at": self.at.isoformat(timespec="seconds"),
            "key_id": self.key_id,
        }
        return json.dumps(content, sort_keys=True, separators=(",", ":")).encode()

    def to_json(self) -> str:
        return json.dumps({**json.loads(self.payload()), "signature": self.signature})

    @classmethod
    def from_json(cls, line: str) -> Checkpoint:
        try:
            data = json.loads(line)
            return cls(
                count=int(data["count"]),
                head=str(data["head"]),
                at=datetime.fromisoformat(data["at"]).astimezone(UTC),
                key_id=str(data["key_id"]),
                signature=str(data["signature"]),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise CheckpointError(f"a checkpoint line cannot be read ({error})") from None

    def anchor(self) -> Anchor:
        return Anchor(count=self.count, head=self.head, at=self.at)


def audit_trail(settings: Settings, *, encryption_key: bytes) -> AuditTrail:
    """The installation's audit trail as its settings describe it."""
    return AuditTrail.from_secret(
        load_audit_secret(settings, encryption_key=encryption_key),
        checkpoint_file=settings.audit_checkpoint_file or settings.data_dir / CHECKPOINT_FILE_NAME,
        checkpoint_url=settings.audit_checkpoint_url,
        checkpoint_every=settings.audit_checkpoint_every,
    )


@dataclass(frozen=True)
class AuditTrail:
    """The installation's audit secrets and where its checkpoints go. Sessions carry it in
    `Session.info` so `record_event` keys each entry."""

    key: bytes
    signing_key: Ed25519PrivateKey
    checkpoint_file: Path | None = None
    checkpoint_url: str | None = None
    checkpoint_every: int = 0

    @classmethod
    def from_secret(cls, secret: bytes, **where: Any) -> AuditTrail:
        signing = Ed25519PrivateKey.from_private_bytes(_derive(secret, "lawful/v1/audit-sign"))
        return cls(key=_derive(secret, "lawful/v1/audit-chain"), signing_key=signing, **where)

    def public_key(self) -> str:
        """Base64 of the raw Ed25519 public key: what a reader needs to check checkpoints."""
        raw = self.signing_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return base64.b64encode(raw).decode("ascii")

    def key_id(self) -> str:
        return hashlib.sha256(base64.b64decode(self.public_key())).hexdigest()[:16]

    def sign(self, *, count: int, head: str, at: datetime) -> Checkpoint:
        when = at.astimezone(UTC).replace(microsecond=0)  # as written: to the second
        unsigned = Checkpoint(count=count, head=head, at=when, key_id=self.key_id())
        signature = base64.b64encode(self.signing_key.sign(unsigned.payload())).decode("ascii")
        return Checkpoint(unsigned.count, unsigned.head, unsigned.at, unsigned.key_id, signature)


def check_signature(checkpoint: Checkpoint, public_key: str) -> None:
    """Raise CheckpointError unless `checkpoint` was signed by the key `public_key` names."""
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key))
        key.verify(base64.b64decode(checkpoint.signature), checkpoint.payload())
    except (InvalidSignature, ValueError) as error:
        raise CheckpointError(
            f"the checkpoint of {checkpoint.at:%Y-%m-%d %H:%M} UTC is not signed by this "
            f"installation's audit key ({type(error).__name__})"
        ) from None


def write_checkpoint(session: Session, *, trail: AuditTrail) -> Checkpoint:
    """Sign the current head of the trail and send it to every configured place."""
    last = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).first()
    checkpoint = trail.sign(
        count=last.seq if last else 0,
        head=last.hash if last else GENESIS,
        at=datetime.now(UTC),
    )
    publish_checkpoint(checkpoint, trail=trail)
    return checkpoint


def publish_checkpoint(checkpoint: Checkpoint, *, trail: AuditTrail) -> None:
    """Append to the checkpoint file, then send to the configured URL. A failure to send is
    raised: the caller decides whether the checkpoint is worth a failed command."""
    line = checkpoint.to_json()
    if trail.checkpoint_file is not None:
        _append_line(trail.checkpoint_file, line)
    if trail.checkpoint_url:
        _send(trail.checkpoint_url, line)


def _append_line(path: Path, line: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Append-only and owner-only from the first byte.
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, (line + "\n").encode("utf-8"))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _send(url: str, line: str) -> None:
    parts = urlsplit(url)
    if parts.scheme == "syslog":
        message = f"<110>lawful-audit: checkpoint {line}".encode()  # facility 13 (log audit), info
        if parts.hostname:
            address = (parts.hostname, parts.port or SYSLOG_PORT)
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                udp.sendto(message, address)
        else:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as local:
                local.sendto(message, parts.path or "/dev/log")
        return
    import httpx  # here, not at the top: most commands never send a checkpoint

    try:
        response = httpx.post(
            url,
            content=line,
            headers={"Content-Type": "application/json"},
            timeout=SEND_TIMEOUT_SECONDS,
        )
        response.raise_for_status()
    except httpx.HTTPError as error:
        raise CheckpointNotSentError(str(error)) from error


class CheckpointNotSentError(OSError):
    """The checkpoint URL did not take the checkpoint (refused, unreachable, timed out)."""


def last_checkpoint(path: Path, *, public_key: str) -> Checkpoint | None:
    """The checkpoint with the highest count among the last lines of the JSONL file at
    `path` (None when there is none yet), each signature checked against `public_key`.
    Several processes append to one file: a later line may carry a smaller count."""
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - TAIL_BYTES))
            tail = handle.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return None
    lines = [line for line in tail.splitlines() if line.strip()]
    if size > TAIL_BYTES:
        lines = lines[1:]  # the first may be cut
    checkpoints = [Checkpoint.from_json(line) for line in lines]
    for checkpoint in checkpoints:
        check_signature(checkpoint, public_key)
    return max(checkpoints, key=lambda c: (c.count, c.at), default=None)


def publish_pending(session: Session) -> None:
    """After a commit: checkpoint the entries `record_event` marked (every N-th entry).
    Sending happens after the commit so a checkpoint never names an entry rolled back."""
    pending = session.info.pop(PENDING_INFO, [])
    trail = session.info.get(AUDIT_INFO)
    if not pending or not isinstance(trail, AuditTrail):
        return
    count, head = max(pending)
    try:
        publish_checkpoint(trail.sign(count=count, head=head, at=datetime.now(UTC)), trail=trail)
    except OSError as error:  # CheckpointNotSentError included
        # The entry is committed; a missed checkpoint only widens the window the next closes.
        logger.warning("audit checkpoint at entry %d not written: %s", count, error)


def forget_pending(session: Session, _previous: object = None) -> None:
    """After a rollback: the marked entries were never written."""
    session.info.pop(PENDING_INFO, None)


@dataclass(frozen=True)
class TrailCheck:
    """The whole trail checked against the last checkpoint kept outside the store."""

    count: int
    breaks: list[ChainBreak]
    checkpoint: Checkpoint | None

    @property
    def intact(self) -> bool:
        return not self.breaks


def session_trail(session: Session) -> AuditTrail:
    """The audit trail the session was made with (every platform session carries one)."""
    trail = session.info.get(AUDIT_INFO)
    if not isinstance(trail, AuditTrail):
        raise CheckpointError("this session was opened without the audit key")
    return trail


def verify_trail(session: Session, *, checkpoints: Path | None = None) -> TrailCheck:
    """Check every entry's keyed hash and link, then the trail against the last checkpoint
    (in `checkpoints`, else the configured file): truncation, re-chaining and edits."""
    trail = session_trail(session)
    path = checkpoints or trail.checkpoint_file
    breaks: list[ChainBreak] = []
    checkpoint = None
    if path is not None:
        try:
            checkpoint = last_checkpoint(path, public_key=trail.public_key())
        except CheckpointError as error:
            breaks.append(ChainBreak(0, str(error), "checkpoint"))
    anchor = checkpoint.anchor() if checkpoint else None
    breaks.extend(verify_chain(session, key=trail.key, anchor=anchor))
    count = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    return TrailCheck(count=count, breaks=breaks, checkpoint=checkpoint)
