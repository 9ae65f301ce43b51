"""Signatures of OpenDSR messages (OpenDSR 2.0 §4, §8.8; security guidelines): the raw body is
signed with the private key of a certificate a CA issued to the processor's domain (FIPS
186-4: RSA PKCS#1 v1.5 or ECDSA, SHA-256), base64, in `X-OpenDSR-Signature`; the domain in
`X-OpenDSR-Processor-Domain`. OpenGDPR 1.0 names the same headers `X-OpenGDPR-*`."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import DNSName
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from lawful.config import Settings

SIGNATURE = "X-OpenDSR-Signature"
DOMAIN = "X-OpenDSR-Processor-Domain"
LEGACY_SIGNATURE = "X-OpenGDPR-Signature"  # OpenGDPR 1.0 (OpenDSR 2.0 §10.1)
LEGACY_DOMAIN = "X-OpenGDPR-Processor-Domain"


class SigningError(ValueError):
    """A key, certificate or signature that cannot be used; the message says why."""


@dataclass(frozen=True)
class Signer:
    """Our key, its certificate chain (PEM, leaf first) and the domain it was issued to."""

    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    chain_pem: bytes
    domain: str

    def sign(self, body: bytes) -> str:
        if isinstance(self.key, rsa.RSAPrivateKey):
            raw = self.key.sign(body, padding.PKCS1v15(), hashes.SHA256())
        else:
            raw = self.key.sign(body, ec.ECDSA(hashes.SHA256()))
        return base64.b64encode(raw).decode()

    def headers(self, body: bytes, *, legacy: bool = False) -> dict[str, str]:
        """The two headers for `body`, by the protocol's current or former name."""
        names = (LEGACY_SIGNATURE, LEGACY_DOMAIN) if legacy else (SIGNATURE, DOMAIN)
        return {names[0]: self.sign(body), names[1]: self.domain}


def load_signer(*, key_path: Path, certificate_path: Path, domain: str) -> Signer:
    """Our signer from the two PEM files; SigningError says which file is wrong and how."""
    try:
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        chain_pem = certificate_path.read_bytes()
        leaf = x509.load_pem_x509_certificates(chain_pem)[0]
    except (OSError, ValueError, TypeError) as error:
        raise SigningError(f"cannot read the OpenDSR key or certificate: {error}") from None
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise SigningError("the OpenDSR key must be an RSA or EC private key (FIPS 186-4)")
    if _spki(leaf.public_key()) != _spki(key.public_key()):
        raise SigningError("the OpenDSR certificate is not the one of the OpenDSR key")
    return Signer(key, chain_pem, domain)


def _spki(key: Any) -> bytes:
    return bytes(
        key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def verify_signature(certificate: x509.Certificate, body: bytes, signature: str) -> None:
    """The signature of `body` by the certificate's key, or SigningError."""
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        raise SigningError("the signature is not base64") from None
    key = certificate.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(raw, body, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(raw, body, ec.ECDSA(hashes.SHA256()))
        else:
            raise SigningError("the certificate's key is neither RSA nor EC")
    except InvalidSignature:
        raise SigningError("the signature does not match the body") from None


def verified_certificate(
    chain_pem: bytes, *, domain: str, roots: list[x509.Certificate], now: datetime
) -> x509.Certificate:
    """The leaf of `chain_pem` once checked (security guidelines, callback validation 2.b-f):
    not expired, issued through a trusted CA, the domain in its SAN, a signing key usage.
    Revocation is left to the CA's short certificate lifetimes (no CRL is fetched)."""
    try:
        certificates = x509.load_pem_x509_certificates(chain_pem)
    except ValueError:
        raise SigningError("the processor's certificate is not PEM") from None
    leaf, intermediates = certificates[0], certificates[1:]
    verifier = PolicyBuilder().store(Store(roots)).time(now).build_server_verifier(DNSName(domain))
    try:
        verifier.verify(leaf, intermediates)
    except VerificationError as error:
        raise SigningError(f"the processor's certificate does not verify: {error}") from None
    try:
        usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        raise SigningError("the processor's certificate has no key usage") from None
    if not usage.digital_signature:
        raise SigningError("the processor's certificate may not sign data (key usage)")
    return leaf


def signer_for(settings: Settings) -> Signer | None:
    if settings.opendsr_key is None or settings.opendsr_certificate is None:
        return None
    domain = settings.opendsr_domain or urlsplit(settings.public_url).hostname or "localhost"
    return _signer(settings.opendsr_key, settings.opendsr_certificate, domain)


@lru_cache(maxsize=4)
def _signer(key: Path, certificate: Path, domain: str) -> Signer:
    return load_signer(key_path=key, certificate_path=certificate, domain=domain)
