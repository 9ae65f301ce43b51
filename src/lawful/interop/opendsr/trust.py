"""Checking a processor's signed message, as its controller (OpenDSR 2.0 §8.8 and the
security guidelines, "callback validation"): the domain must be one the map declares; the
certificate comes from the processor's discovery (cached until it expires), must chain to a
CA we trust, name that domain and allow signing; then the signature over the raw body."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

import certifi
import httpx
from cryptography import x509

from lawful.datamap.outbound import RecipientOpenDsr
from lawful.interop.opendsr.signing import (
    DOMAIN,
    LEGACY_DOMAIN,
    LEGACY_SIGNATURE,
    SIGNATURE,
    SigningError,
    verified_certificate,
    verify_signature,
)

TRUSTED_CAS_ENV = "LAWFUL_OPENDSR_TRUSTED_CAS"
_cache: dict[str, x509.Certificate] = {}
_lock = threading.Lock()


class TrustError(ValueError):
    """A processor's answer we cannot trust or use; `status`: what a callback gets."""

    def __init__(self, message: str, *, status: int = 401) -> None:
        super().__init__(message)
        self.status = status


@lru_cache(maxsize=4)
def _roots(path: str) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(Path(path).read_bytes())


def trusted_roots(environ: Mapping[str, str]) -> list[x509.Certificate]:
    """The CAs in `LAWFUL_OPENDSR_TRUSTED_CAS`, else the public ones (certifi)."""
    try:
        return _roots(environ.get(TRUSTED_CAS_ENV) or certifi.where())
    except (OSError, ValueError) as error:
        raise TrustError(f"cannot read the trusted CAs ({TRUSTED_CAS_ENV}): {error}") from None


def certificate(
    http: httpx.Client, environ: Mapping[str, str], endpoint: RecipientOpenDsr
) -> x509.Certificate:
    """The processor's verified certificate, from its discovery; cached while valid."""
    now = datetime.now(UTC)
    with _lock:
        cached = _cache.get(endpoint.domain)
    if cached is not None and cached.not_valid_after_utc > now:
        return cached
    try:
        found = http.get(f"{endpoint.url.rstrip('/')}/discovery", timeout=10).json()
        chain = http.get(str(found["processor_certificate"]), timeout=10).content
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as error:
        raise TrustError(
            f"cannot fetch the processor's certificate: {type(error).__name__}"
        ) from None
    try:
        leaf = verified_certificate(chain, domain=endpoint.domain, roots=trusted_roots(environ),
                                    now=now)  # fmt: skip
    except SigningError as error:
        raise TrustError(str(error)) from None
    with _lock:
        _cache[endpoint.domain] = leaf
    return leaf


def forget(domain: str) -> None:
    """Drop a cached certificate (a signature failed: the processor may have a new one)."""
    with _lock:
        _cache.pop(domain, None)


def check_signed(
    http: httpx.Client,
    environ: Mapping[str, str],
    endpoint: RecipientOpenDsr,
    headers: Mapping[str, str],
    body: bytes,
) -> None:
    """TrustError (401) for a wrong domain or certificate, (400) for a wrong signature."""
    legacy = DOMAIN not in headers and LEGACY_DOMAIN in headers
    domain = headers.get(LEGACY_DOMAIN if legacy else DOMAIN)
    if domain != endpoint.domain:
        raise TrustError(f"the answer is not signed for {endpoint.domain}")
    signature = headers.get(LEGACY_SIGNATURE if legacy else SIGNATURE) or ""
    for attempt in (1, 2):
        leaf = certificate(http, environ, endpoint)
        try:
            verify_signature(leaf, body, signature)
            return
        except SigningError as error:
            forget(endpoint.domain)
            if attempt == 2:
                raise TrustError(str(error), status=400) from None
