"""Settings of a Lawful installation, read from `LAWFUL_*` environment variables and `lawful.toml`.

Nothing here runs at import: call `load_settings()` where a command, app or worker starts.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

KEY_FILE_NAME = "encryption.key"
STORE_FILE_NAME = "lawful.db"
# What Lawful itself writes into the data folder: owner-only, fixed on every start.
PRIVATE_FILES = (
    STORE_FILE_NAME,
    f"{STORE_FILE_NAME}-wal",
    f"{STORE_FILE_NAME}-shm",
    f"{STORE_FILE_NAME}-journal",
    KEY_FILE_NAME,
    "audit-checkpoints.jsonl",
)
PRIVATE_FOLDERS = ("outbox",)
KEY_BYTES = 32  # AES-256-GCM and HMAC-SHA-256
DEFAULT_PUBLIC_URL = "http://localhost:8000"
_WILDCARD_ADDRESSES = frozenset({"0.0.0.0", "::", ""})  # noqa: S104 (compared, never bound)


class SettingsError(Exception):
    """A setting is missing or malformed; the message says which and how to fix it."""


class Settings(BaseSettings):
    """Every setting has a description: `lawful` documents them from here."""

    model_config = SettingsConfigDict(
        env_prefix="LAWFUL_", toml_file="lawful.toml", extra="ignore", frozen=True
    )

    data_dir: Path = Field(
        default=Path(".lawful"),
        description="Folder for the embedded platform database and the generated key "
        "(created on first use).",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the platform store, e.g. "
        "`postgresql+psycopg://lawful@db/lawful`. Default: `sqlite:///<data_dir>/lawful.db`.",
    )
    encryption_key: SecretStr | None = Field(
        default=None,
        description="Base64 of 32 random bytes. Encrypts the personal data Lawful stores "
        "(AES-GCM) and keys its blind indexes and hashes (HMAC). Required when "
        "`database_url` is set; otherwise generated into `<data_dir>/encryption.key`.",
    )
    audit_key: SecretStr | None = Field(
        default=None,
        description="Base64 of 32 random bytes. Keys the audit trail's hash chain "
        "(HMAC-SHA-256) and signs its checkpoints (Ed25519). Unset: derived from the "
        "encryption key. Set it to keep the audit secret apart from the encryption key, e.g. "
        "to let auditors verify the trail, or before rotating the encryption key.",
    )
    audit_checkpoint_file: Path | None = Field(
        default=None,
        description="Append-only JSONL file that receives the signed checkpoints of the audit "
        "trail's head; `lawful audit verify` compares the trail with its last line. Default: "
        "`<data_dir>/audit-checkpoints.jsonl`. Put it where a database account cannot write.",
    )
    audit_checkpoint_url: str | None = Field(
        default=None,
        description="Where else each checkpoint goes, off this machine: `syslog://host:514` "
        "(UDP), `syslog:` (the local /dev/log), or an `https://` URL (POST, JSON body).",
    )
    audit_checkpoint_every: int = Field(
        default=100,
        ge=0,
        le=1_000_000,
        description="Write a checkpoint after every this many audit entries (0: only on "
        "schedule and when `lawful audit checkpoint` runs). Entries after the last checkpoint "
        "can be cut unnoticed: smaller is safer.",
    )
    audit_checkpoint_minutes: float = Field(
        default=60,
        ge=0,
        le=7 * 24 * 60,
        description="Also write a checkpoint this often, from `lawful serve` or `lawful "
        "worker` (a scheduled job), so a quiet trail is checkpointed too; 0 turns it off.",
    )

    # --- web: server, staff sign-in, public endpoints (lawful.web) ---------------------------
    map_path: Path | None = Field(
        default=None,
        description="The data map the server reads (request types, privacy notice, engine "
        "runs). `lawful serve --map FILE` sets it.",
    )
    datastore_dir: Path | None = Field(
        default=None,
        description="Folder that relative `connection.path`s of the map's systems are read "
        "from. Default: the map's own folder.",
    )
    time_zone: str = Field(
        default="UTC",
        description="IANA time zone (e.g. Europe/Paris) in which every staff page and every "
        "mail shows dates and times, with the zone's abbreviation. Deadlines are still counted "
        "in `timezone`, the organisation's days.",
    )
    secure_cookies: bool | None = Field(
        default=None,
        description="Mark session cookies `Secure`. Default: when the request came over "
        "HTTPS (behind a reverse proxy, list it in `trusted_proxies`).",
    )
    session_idle_minutes: int = Field(
        default=30, ge=1, le=1440, description="A staff session ends after this long unused."
    )
    session_max_hours: int = Field(
        default=12, ge=1, le=168, description="A staff session ends this long after sign-in."
    )
    sign_in_max_failures: int = Field(
        default=5,
        ge=1,
        le=100,
        description="Wrong passwords for one email before sign-in is refused for a while.",
    )
    sign_in_lockout_minutes: int = Field(
        default=15, ge=1, le=1440, description="How long sign-in stays refused after that."
    )
    require_2fa_roles: list[Literal["admin", "privacy_officer", "analyst", "auditor"]] = Field(
        default_factory=list,
        description="Staff roles that must use a second factor (TOTP): a member of one of "
        'these roles is sent to enrol before any other page, e.g. `["admin", '
        '"privacy_officer"]`. Default: none (each person may still enrol on My account).',
    )
    oidc_issuer: str | None = Field(
        default=None,
        description="Single sign-on: the OpenID Connect provider's issuer URL (its "
        "`/.well-known/openid-configuration` is read from there). Unset: no SSO button.",
    )
    oidc_client_id: str | None = Field(
        default=None, description="Single sign-on: this installation's client id at the provider."
    )
    oidc_client_secret: SecretStr | None = Field(
        default=None,
        description="Single sign-on: the client secret (set it as LAWFUL_OIDC_CLIENT_SECRET, not "
        "in a file). Unset: a public client (PKCE only).",
    )
    oidc_provider_name: str = Field(
        default="single sign-on",
        description="Single sign-on: the provider's name on the sign-in button.",
    )
    oidc_create_role: Literal["admin", "privacy_officer", "analyst", "auditor"] | None = Field(
        default=None,
        description="Single sign-on: create an account with this role for a verified email "
        "that has none. Default: unset, so only existing, active staff accounts can sign in.",
    )
    rate_limit_per_minute: int = Field(
        default=20,
        ge=1,
        le=100_000,
        description="Requests per minute one client IP may make to each public form or "
        "endpoint (counted per process unless `rate_limit_redis_url` is set).",
    )
    rate_limit_redis_url: str | None = Field(
        default=None,
        description="Redis that keeps the rate-limit buckets, shared by every server process "
        "(e.g. `redis://127.0.0.1:6379/1`). Unset: each process counts on its own.",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses (or CIDR ranges) of the reverse proxies in front of `lawful "
        "serve` whose X-Forwarded-For and X-Forwarded-Proto are believed, e.g. "
        '`["127.0.0.1"]` for a proxy on the same machine. Default: none, so no client can '
        "choose the address its rate limits are counted under.",
    )
    rate_limit_burst: int = Field(
        default=10,
        ge=1,
        le=100_000,
        description="Requests a client may make at once before the per-minute rate applies.",
    )

    training_required_roles: list[Literal["admin", "privacy_officer", "analyst", "auditor"]] = (
        Field(
            default_factory=list,
            description="Staff roles that need a valid training attestation (`lawful training "
            "record`) before the console shows them personal data (GDPR Art. 32(4), 39(1)(b)), "
            'e.g. `["analyst", "privacy_officer"]`. Default: none.',
        )
    )

    audience_max_megabytes: int = Field(
        default=128,
        ge=1,
        le=4096,
        description="Largest audience `POST /api/v1/consent/filter` accepts, in MB of JSON "
        "(a million contacts with an email and a phone is about 70 MB).",
    )

    # --- rights requests: mail, verification, delivery (lawful.requests) ---------------------
    smtp_host: str | None = Field(
        default=None,
        description="SMTP server that sends mail to people (receipts, codes, answers) and to "
        "clients (forwarded requests). Unset: mail is kept in memory, not sent (demo only).",
    )
    smtp_port: int = Field(default=587, ge=1, le=65535, description="Port of the SMTP server.")
    smtp_user: str | None = Field(
        default=None, description="User name for SMTP login; unset: no login."
    )
    smtp_password: SecretStr | None = Field(default=None, description="Password for SMTP login.")
    smtp_from: str | None = Field(
        default=None,
        # LAWFUL_MAIL_FROM is the same setting under the name the sender's docs also use.
        validation_alias=AliasChoices("smtp_from", "LAWFUL_SMTP_FROM", "LAWFUL_MAIL_FROM"),
        description="The From address of every mail Lawful sends, e.g. "
        "`Voxaria Privacy <privacy@voxaria.example>`. Default: the organisation's trading name "
        "(else name) with its privacy address from the map (`organization.requests.email`, "
        "else `organization.contact.email`). Also read from LAWFUL_MAIL_FROM.",
    )
    smtp_starttls: bool = Field(
        default=True,
        description="Upgrade the SMTP connection with STARTTLS before login and sending.",
    )
    public_url: str = Field(
        default=DEFAULT_PUBLIC_URL,
        description="Where people reach this server; every link in mail (codes, downloads, "
        "preference center, unsubscribe) starts with it. Default: the address `lawful serve` "
        "and `lawful demo` listen on (`--host`, `--port`). Set it behind a proxy, and for a "
        "separate `lawful worker`, which sends mail but listens on nothing.",
    )
    drp_business_id: str | None = Field(
        default=None,
        description="This business's id in the Data Rights Protocol network ([A-Z_]+, as in "
        "its directory entry); agents' signed requests must name it. Default: the "
        "organisation's trading name (else name) in capitals, other characters as _.",
    )
    opendsr_domain: str | None = Field(
        default=None,
        description="Our OpenDSR domain, the one our signing certificate is issued to (sent "
        "as X-OpenDSR-Processor-Domain). Default: the host of public_url.",
    )
    opendsr_key: Path | None = Field(
        default=None,
        description="PEM private key (RSA or EC) that signs our OpenDSR answers and callbacks. "
        "Without it and opendsr_certificate, the OpenDSR endpoints answer 503.",
    )
    opendsr_certificate: Path | None = Field(
        default=None,
        description="PEM certificate of opendsr_key, issued by a CA to opendsr_domain (then "
        "any intermediate certificates); published at /opendsr/v1/cert.pem.",
    )
    opendsr_trusted_cas: Path | None = Field(
        default=None,
        description="PEM file of the certificate authorities whose certificates we accept from "
        "processors that sign OpenDSR answers and callbacks. Default: the public CAs (certifi).",
    )
    timezone: str | None = Field(
        default=None,
        description="IANA time zone in which request deadlines are counted, e.g. "
        "Europe/Paris. Default: the zone of the organisation's country, else UTC.",
    )
    verification_levels: dict[str, str] = Field(
        default_factory=dict,
        description="Stronger proof per request type, as JSON: "
        '{"erasure": "data_points", "access": "id_document"}. Levels: email_code, '
        "data_points, id_document. The law's own level is the floor.",
    )
    verification_data_points: int = Field(
        default=2,
        ge=1,
        le=10,
        description="Details (phone, name, address, customer number) that must match the "
        "records held, for the `data_points` level.",
    )
    auto_approve: list[str] = Field(
        default_factory=lambda: [
            "objection_direct_marketing",
            "consent_withdrawal",
            "opt_out_sale_sharing",
        ],
        description="Request types approved without staff once verified. Default: the "
        "absolute rights (GDPR Art. 21(3), Art. 7(3); 11 CCR §7026).",
    )
    unverified_request_days: int = Field(
        default=30,
        ge=1,
        le=365,
        description="A request whose proof of identity is still missing after this many days "
        "expires.",
    )
    download_link_minutes: int = Field(
        default=30,
        ge=1,
        le=1440,
        description="How long a download link for an access package works (once).",
    )
    package_days: int = Field(
        default=30,
        ge=1,
        le=365,
        description="How long an access or portability package is kept for download.",
    )
    max_documents_per_request: int = Field(
        default=3,
        ge=1,
        le=20,
        description="ID documents a person may send for one request (each at most 5 MB); "
        "one more is refused (409). A policy, not a legal number: enough for both sides "
        "of a card and a retake.",
    )

    # --- discovery scans (lawful.discovery) ---------------------------------------------------
    discovery_scan_schedule: Literal["off", "daily", "weekly"] = Field(
        default="off",
        description="How often `lawful serve` or `lawful worker` scans the map's SQL systems "
        "for personal data (a bounded sample per table; only categories and counts are "
        "stored) for the console's Discovery page: off, daily or weekly. `lawful scan --record` "
        "runs one on demand.",
    )

    # --- retention sweeps (lawful.retention) ---------------------------------------------------
    retention_interval_hours: float = Field(
        default=0,
        ge=0,
        le=24 * 366,
        description="Hours between scheduled retention sweeps run by `lawful serve` or "
        "`lawful retention schedule`; 0 turns scheduled sweeps off (run `lawful retention run` "
        "from cron instead).",
    )
    retention_batch_size: int = Field(
        default=500,
        ge=1,
        le=10_000,
        description="Records per checkpointed step of a scheduled retention sweep.",
    )

    # --- jobs: in-process by default, Celery workers with a broker (lawful.worker) ----------
    broker_url: str | None = Field(
        default=None,
        description="Celery broker, e.g. `redis://127.0.0.1:6379/0` or "
        "`amqp://guest@127.0.0.1:5672//`. Set: jobs (request runs, mail, forwards, sweeps) run "
        "on `lawful worker` processes. Unset: they run inside `lawful serve`.",
    )
    job_lease_seconds: float = Field(
        default=60,
        ge=1,
        le=3600,
        description="A running job holds its task this long, extended while it runs; when a "
        "worker dies, another takes the job over once the lease has lapsed.",
    )
    job_retry_seconds: float = Field(
        default=30,
        ge=0.1,
        le=86_400,
        description="Wait before the first retry of a failed job; each retry waits twice as "
        "long as the one before, up to `job_retry_max_seconds`.",
    )
    job_retry_max_seconds: float = Field(
        default=3600, ge=1, le=7 * 86_400, description="Longest wait between two retries."
    )
    job_poll_seconds: float = Field(
        default=5,
        ge=0.1,
        le=3600,
        description="How often a worker looks in the store for jobs to hand over: retries "
        "that are due, jobs whose worker died, scheduled sweeps.",
    )
    job_republish_seconds: float = Field(
        default=300,
        ge=1,
        le=86_400,
        description="A job still waiting this long after it was handed over is handed over "
        "again (its broker message may have been lost, e.g. a broker restarted without "
        "persistence); running it twice is harmless, only one worker can claim it.",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Arguments, then the environment, then `lawful.toml` in the working directory.
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    def store_url(self) -> str:
        """The platform store's URL: the configured one, or SQLite inside `data_dir`."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / STORE_FILE_NAME).resolve()}"


def served_at(settings: Settings, *, host: str, port: int) -> Settings:
    """`settings` with `public_url` pointing at the server's own address, unless it was set
    (environment or lawful.toml): links in mail then reach the server the command started."""
    if "public_url" in settings.model_fields_set:
        return settings
    # A wildcard address is not one a browser can open: name this machine instead.
    name = "localhost" if host in _WILDCARD_ADDRESSES else host
    if ":" in name:
        name = f"[{name}]"  # an IPv6 literal in a URL (RFC 3986 §3.2.2)
    return settings.model_copy(update={"public_url": f"http://{name}:{port}"})


def public_url_warning(settings: Settings) -> str | None:
    """What a process that sends mail but serves nothing (`lawful worker`) says when
    `public_url` was left to its default: its links would not reach the server."""
    if "public_url" in settings.model_fields_set:
        return None
    return (
        f"LAWFUL_PUBLIC_URL is not set: links in the mail this worker sends start with "
        f"{settings.public_url}; set it to the address people reach `lawful serve` at"
    )


def load_settings() -> Settings:
    """Read the settings from the environment and `lawful.toml`."""
    return Settings()


def prepare_data_dir(settings: Settings) -> None:
    """Make the data folder owner-only (0700), and what Lawful keeps in it too (0600): the
    embedded database, the key, the checkpoints, the outbox. Creates the folder (and an empty
    database file, so SQLite never creates it readable by others) for the embedded store;
    fixes the modes an older installation left, on every start."""
    folder = settings.data_dir
    if settings.database_url is None:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.close(os.open(folder / STORE_FILE_NAME, os.O_WRONLY | os.O_CREAT, 0o600))
    if not folder.is_dir():
        return
    os.chmod(folder, 0o700)
    for name in PRIVATE_FILES:
        _chmod_if_there(folder / name, 0o600)
    for name in PRIVATE_FOLDERS:
        if _chmod_if_there(folder / name, 0o700):
            for path in (folder / name).iterdir():
                _chmod_if_there(path, 0o600)


def _chmod_if_there(path: Path, mode: int) -> bool:
    if path.is_symlink() or not path.exists():
        return False  # a symlink's target is not ours to change
    os.chmod(path, mode)
    return True


@dataclass(frozen=True)
class MasterKey:
    """The installation's secret, and whether it was just created (so the caller says so)."""

    secret: bytes
    generated_at: Path | None = None


def load_master_key(settings: Settings) -> MasterKey:
    """The key from `LAWFUL_ENCRYPTION_KEY`; for the embedded default, from (or new in) data_dir.

    A configured `database_url` means a real deployment: the key must then come from the
    environment, so that every process shares it and losing a disk does not lose the key.
    """
    if settings.encryption_key is not None:
        return MasterKey(_decode_key(settings.encryption_key.get_secret_value()))
    if settings.database_url:
        raise SettingsError(
            "LAWFUL_ENCRYPTION_KEY is not set; it is required when LAWFUL_DATABASE_URL is set. "
            'Create one with: python -c "import base64,os;print(base64.b64encode(os.urandom(32)).decode())"'
        )
    return _key_file(settings.data_dir / KEY_FILE_NAME)


def load_audit_secret(settings: Settings, *, encryption_key: bytes) -> bytes:
    """The audit secret: `LAWFUL_AUDIT_KEY`, else derived from the encryption key (HMAC
    with a label no other use shares, like the cookie key), so there is no second secret to
    manage unless one is wanted."""
    if settings.audit_key is not None:
        return _decode_key(settings.audit_key.get_secret_value(), name="LAWFUL_AUDIT_KEY")
    return hmac.new(encryption_key, b"lawful/v1/audit", hashlib.sha256).digest()


def _decode_key(text: str, *, name: str = "LAWFUL_ENCRYPTION_KEY") -> bytes:
    try:
        secret = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        secret = b""
    if len(secret) != KEY_BYTES:
        raise SettingsError(
            f"{name} must be the base64 of exactly {KEY_BYTES} bytes "
            f"(44 characters ending in '='); got {len(text.strip())} characters"
        )
    return secret


def _key_file(path: Path) -> MasterKey:
    if path.exists():
        return MasterKey(_decode_key(path.read_text(encoding="ascii")))
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    text = base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")
    # Created 0600 from the start: the key is never readable by others, not even briefly.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(text + "\n")
    return MasterKey(_decode_key(text), generated_at=path)
