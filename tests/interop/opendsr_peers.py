"""Peers of OpenDSR written for the tests: a certificate authority (the `cryptography` library)
issuing real certificates; a controller that sends requests with its token and verifies
the signed answers and callbacks as the security guidelines say (domain allow-list, chain
to a trusted CA, domain in the SAN, signature over the raw body); a processor that takes
our requests and calls us back, signed."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from lawful.interop.opendsr.signing import SigningError, verified_certificate, verify_signature


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


@dataclass
class Authority:
    """A root CA made for the test: issues leaf certificates for a domain."""

    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    cert: x509.Certificate | None = None

    def __post_init__(self) -> None:
        now = datetime.now(UTC)
        public = self.key.public_key()
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(_name("Lawful Test Root CA"))
            .issuer_name(_name("Lawful Test Root CA"))
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_usage(cert_sign=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .sign(self.key, hashes.SHA256())
        )

    @property
    def root(self) -> x509.Certificate:
        assert self.cert is not None
        return self.cert

    def issue(self, domain: str, folder: Path, *, days: int = 10) -> tuple[Path, Path]:
        """A key and a certificate for `domain` (PEM files in `folder`)."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        now = datetime.now(UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(domain))
            .issuer_name(self.root.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(hours=1))
            .not_valid_after(now + timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(domain)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
            .sign(self.key, hashes.SHA256())
        )
        folder.mkdir(parents=True, exist_ok=True)
        key_path, cert_path = folder / f"{domain}.key", folder / f"{domain}.pem"
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return key_path, cert_path


def _usage(*, cert_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=cert_sign,
        crl_sign=cert_sign, encipher_only=False, decipher_only=False,
    )  # fmt: skip


@dataclass
class Verifier:
    """What a controller checks on a processor's signed message (security guidelines)."""

    base: str  # the processor's URL, to fetch its certificate from discovery
    allowed: set[str]
    roots: list[x509.Certificate]

    def check(self, headers: httpx.Headers | Any, body: bytes, *, legacy: bool = False) -> None:
        prefix = "X-OpenGDPR" if legacy else "X-OpenDSR"
        domain = headers.get(f"{prefix}-Processor-Domain")
        if domain not in self.allowed:
            raise SigningError(f"processor domain {domain!r} is not allowed")
        discovery = httpx.get(f"{self.base}/opendsr/v1/discovery", timeout=10).json()
        chain = httpx.get(discovery["processor_certificate"], timeout=10).content
        leaf = verified_certificate(chain, domain=domain, roots=self.roots, now=datetime.now(UTC))
        verify_signature(leaf, body, headers.get(f"{prefix}-Signature", ""))


@dataclass
class Callbacks:
    """The controller's callback endpoint: verifies each one, keeps the verified bodies."""

    url: str
    verified: list[dict[str, Any]]
    refused: list[int]
    arrived: threading.Condition
    hold: threading.Event

    def wait_for(self, count: int, timeout: float = 60) -> list[dict[str, Any]]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.verified) >= count, timeout=timeout)
        assert len(self.verified) >= count, (self.verified, self.refused)
        return list(self.verified)


def callback_server(verifier: Verifier) -> tuple[ThreadingHTTPServer, Callbacks]:
    verified: list[dict[str, Any]] = []
    refused: list[int] = []
    arrived, hold = threading.Condition(), threading.Event()
    hold.set()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            hold.wait(timeout=30)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            try:
                verifier.check(self.headers, body)
                status = 202  # security guidelines 5.a
            except SigningError as error:
                status = 400 if "signature" in str(error) else 401
            with arrived:
                if status == 202:
                    verified.append(json.loads(body))
                else:
                    refused.append(status)
                arrived.notify_all()
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/opendsr/callbacks"
    return server, Callbacks(url, verified, refused, arrived, hold)


@dataclass
class Controller:
    """A client of ours sending OpenDSR requests with its bearer token."""

    base: str
    token: str | None
    verifier: Verifier
    collection: str = "/opendsr/v1/requests"

    def call(self, method: str, path: str = "", body: Any = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return httpx.request(method, self.base + self.collection + path, json=body,
                             headers=headers, timeout=60)  # fmt: skip

    def request(self, kind: str, email: str, callbacks: list[str] | None = None) -> dict[str, Any]:
        return {
            "regulation": "gdpr",
            "subject_request_id": str(uuid.uuid4()),
            "subject_request_type": kind,
            "submitted_time": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "subject_identities": [
                {"identity_type": "email", "identity_value": email, "identity_format": "raw"}
            ],
            "api_version": "2.0",
            "status_callback_urls": callbacks or [],
        }

    def status(self, subject_request_id: str) -> httpx.Response:
        return self.call("GET", f"/{subject_request_id}")


@dataclass
class PeerProcessor:
    """A processor written for the tests: takes our requests with the token it gave us,
    answers and calls back signed with a key certified by the test CA for its domain."""

    url: str
    domain: str
    token: str
    key: Any
    chain: bytes
    received: list[dict[str, Any]]
    statuses: dict[str, str]
    arrived: threading.Condition

    def sign(self, body: bytes, key: Any = None) -> str:
        raw = (key or self.key).sign(body, padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(raw).decode()

    def signed_headers(
        self, body: bytes, key: Any = None, domain: str | None = None
    ) -> dict[str, str]:
        return {"Content-Type": "application/json", "X-OpenDSR-Signature": self.sign(body, key),
                "X-OpenDSR-Processor-Domain": domain or self.domain}  # fmt: skip

    def wait_for_request(self, timeout: float = 60) -> dict[str, Any]:
        with self.arrived:
            self.arrived.wait_for(lambda: bool(self.received), timeout=timeout)
        assert self.received, "the processor got no request"
        return self.received[-1]

    def status_of(self, sid: str) -> dict[str, Any]:
        return {"controller_id": "voxaria", "subject_request_id": sid,
                "expected_completion_time": "2027-01-07T00:00:00Z",
                "request_status": self.statuses.get(sid, "pending")}  # fmt: skip

    def callback(self, sid: str, status: str, *, key: Any = None, domain: str | None = None,
                 url: str | None = None) -> int:  # fmt: skip
        """POST a status to the callback URL of the request, signed; the answer's code. What
        polling sees (`statuses`) is left as it was."""
        request = next(r for r in self.received if r["subject_request_id"] == sid)
        target = request["status_callback_urls"][0]
        fields = {"request_status": status, "status_callback_url": url or target}
        body = json.dumps(self.status_of(sid) | fields).encode()
        answer = httpx.post(target, content=body, headers=self.signed_headers(body, key, domain))
        return answer.status_code


def peer_processor(
    ca: Authority, folder: Path, domain: str = "vendor.test"
) -> tuple[ThreadingHTTPServer, PeerProcessor]:
    key_path, cert_path = ca.issue(domain, folder)
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    url = f"http://127.0.0.1:{server.server_port}/v1"
    peer = PeerProcessor(url, domain, "vendor-token-" + uuid.uuid4().hex, key,
                         cert_path.read_bytes(), [], {}, threading.Condition())  # fmt: skip

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, body: bytes, signed: bool = True) -> None:
            self.send_response(status)
            headers = peer.signed_headers(body) if signed else {"Content-Type": "text/plain"}
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path == "/v1/discovery":
                found = {"api_version": "2.0", "processor_certificate": f"{url}/cert.pem",
                         "supported_identities": [{"identity_type": "email", "identity_format": "raw"}],
                         "supported_subject_request_types": ["access", "erasure"]}  # fmt: skip
                self._answer(200, json.dumps(found).encode())
            elif self.path == "/v1/cert.pem":
                self._answer(200, peer.chain, signed=False)
            elif self.headers.get("Authorization") != f"Bearer {peer.token}":
                self._answer(401, b"{}")
            else:
                sid = self.path.rsplit("/", 1)[-1]
                self._answer(200, json.dumps(peer.status_of(sid)).encode())

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if self.headers.get("Authorization") != f"Bearer {peer.token}":
                self._answer(401, b"{}")
                return
            answer = {"controller_id": "voxaria", "subject_request_id": body["subject_request_id"],
                      "received_time": "2026-12-07T00:00:00Z",
                      "expected_completion_time": "2027-01-07T00:00:00Z"}  # fmt: skip
            with peer.arrived:
                peer.received.append(body)
                peer.arrived.notify_all()
            self._answer(201, json.dumps(answer).encode())

        def log_message(self, *args: Any) -> None:
            pass

    server.RequestHandlerClass = Handler
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, peer
