"""Every lock and limit attacked in parallel against a real server: the app served by uvicorn
on a free port (SQLite, and PostgreSQL for codes and sign-in), 24 HTTP clients released at
once by a barrier. Each test asserts the limit exactly and that no answer is a 5xx.

Run them alone with `pytest tests/web/test_locks.py` (docs/security.md)."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from lawful.auth.models import Role, SignInThrottle
from lawful.auth.service import email_index
from lawful.config import Settings
from lawful.datamap.loader import LoadedMap
from lawful.requests.models import (
    CodePurpose,
    DownloadLink,
    IdentityDocument,
    RequestPackage,
    RightsRequest,
    VerificationCode,
)
from lawful.requests.verification import MAX_CODES, MAX_WRONG_CODES
from lawful.store.audit import AuditEntry
from lawful.web.app import create_app

from ..support.servers import free_port, serve
from .conftest import PASSWORD, Web, csrf
from .test_cli import _healthy

PARALLEL = 24
SQLITE_ONLY = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
_STATUS = re.compile(r"/privacy/requests/([A-Z2-7]+)\?token=([^&\"]+)")


def parallel(*calls: Callable[[], httpx.Response]) -> list[httpx.Response]:
    """Run the calls at the same moment, each on its own thread and connection."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], httpx.Response]) -> httpx.Response:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def statuses(responses: list[httpx.Response]) -> Counter[int]:
    counted = Counter(r.status_code for r in responses)
    assert not [s for s in counted if s >= 500], counted
    return counted


@pytest.fixture
def make_live(
    make_settings: Callable[..., Settings], example_map: LoadedMap
) -> Iterator[Callable[..., Web]]:
    """The app served over real HTTP; `Web.client` is an HTTP client of that server."""
    with ExitStack() as stack:

        def start(**overrides: Any) -> Web:
            app = create_app(make_settings(**overrides), loaded=example_map)
            url = stack.enter_context(serve(app, free_port()))
            client = stack.enter_context(httpx.Client(base_url=url, follow_redirects=False))
            return Web(app, client)  # type: ignore[arg-type]

        yield start


def post(web: Web, path: str, **kwargs: Any) -> Callable[[], httpx.Response]:
    """A call on a connection of its own, with this browser's cookies."""
    base, cookies = str(web.client.base_url), dict(web.client.cookies)

    def call() -> httpx.Response:
        with httpx.Client(base_url=base, cookies=cookies, timeout=60) as client:
            return client.post(path, **kwargs)

    return call


def get(web: Web, path: str) -> Callable[[], httpx.Response]:
    base, cookies = str(web.client.base_url), dict(web.client.cookies)

    def call() -> httpx.Response:
        with httpx.Client(base_url=base, cookies=cookies, timeout=60) as client:
            return client.get(path)

    return call


def code_for(web: Web, reference: str) -> str:
    mails = [m for m in web.outbox() if reference in m and "code" in m.lower()]
    found = re.search(r"^\s+(\d{6})\s*$", mails[-1], re.MULTILINE)
    assert found, mails[-1]
    return found.group(1)


def wrong_codes(code: str) -> list[str]:
    return [f"{(int(code) + n) % 10**6:06d}" for n in range(1, PARALLEL + 1)]


def submit(web: Web, email: str, **fields: Any) -> tuple[str, str]:
    body = {"type": "erasure", "email": email, "country": "FR", **fields}
    made = web.client.post("/api/v1/requests", json=body)
    assert made.status_code == 201, made.text
    web.settle()
    return made.json()["reference"], made.json()["status_token"]


def the_code(web: Web, reference: str, purpose: CodePurpose) -> VerificationCode:
    with web.platform.sessions() as session:
        request = session.scalars(
            select(RightsRequest).where(RightsRequest.reference == reference)
        ).one()
        return session.scalars(
            select(VerificationCode)
            .where(VerificationCode.request_id == request.id, VerificationCode.purpose == purpose)
            .order_by(VerificationCode.id.desc())
        ).first()  # type: ignore[return-value]


# --- verification codes -------------------------------------------------------------------------


def own_form(web: Web, reference: str, token: str) -> dict[str, str]:
    """What the person's status page posts back: its CSRF token and the status token."""
    page = web.client.get(f"/privacy/requests/{reference}?token={token}")
    return {"csrf_token": csrf(page), "token": token}


def test_parallel_wrong_codes_take_exactly_five_tries_and_the_right_code_after_is_refused(
    make_live: Callable[..., Web],
) -> None:
    web = make_live()
    reference, token = submit(web, "ann@people.example")
    code, own = code_for(web, reference), own_form(web, reference, token)
    path = f"/privacy/requests/{reference}/verify"
    answers = parallel(*[post(web, path, data=own | {"code": c}) for c in wrong_codes(code)])
    counted = statuses(answers)
    assert counted == {400: MAX_WRONG_CODES - 1, 429: PARALLEL - MAX_WRONG_CODES + 1}
    right = web.client.post(path, data=own | {"code": code})
    assert right.status_code == 429
    api = web.client.post(f"/api/v1/{path[9:]}", json={"token": token, "code": code})
    assert api.json()["error"]["code"] == "code_locked"
    stored = the_code(web, reference, CodePurpose.verify)
    assert stored.attempts == MAX_WRONG_CODES
    assert stored.locked_at is not None
    assert stored.used_at is None


def test_the_verify_and_resend_endpoints_refuse_anyone_without_the_status_token(
    make_live: Callable[..., Web],
) -> None:
    web = make_live()
    reference, _ = submit(web, "bo@people.example")
    lock_try = web.client.post(
        f"/api/v1/requests/{reference}/verify", json={"token": "guessed-token", "code": "000000"}
    )
    assert lock_try.status_code == 404
    no_token = web.client.post(f"/api/v1/requests/{reference}/verify", json={"code": "000000"})
    assert no_token.status_code == 422
    resend = web.client.post(f"/api/v1/requests/{reference}/code", json={"token": "guessed"})
    assert resend.status_code == 404
    assert the_code(web, reference, CodePurpose.verify).attempts == 0
    assert len([m for m in web.outbox() if reference in m]) == 2  # receipt and first code only


@SQLITE_ONLY
def test_parallel_resends_send_exactly_the_codes_allowed_per_request(
    make_live: Callable[..., Web],
) -> None:
    web = make_live()
    reference, token = submit(web, "cy@people.example")
    path, own = f"/privacy/requests/{reference}/resend", own_form(web, reference, token)
    counted = statuses(parallel(*[post(web, path, data=own)] * PARALLEL))
    assert counted == {303: MAX_CODES - 1, 429: PARALLEL - MAX_CODES + 1}  # 1 sent at intake
    with web.platform.sessions() as session:
        sent = session.scalar(select(func.count()).select_from(VerificationCode))
    assert sent == MAX_CODES
    codes = [m for m in web.outbox() if reference in m and "Subject: We received" not in m]
    assert len(codes) == MAX_CODES


# --- ID documents -------------------------------------------------------------------------------


@SQLITE_ONLY
def test_parallel_uploads_store_exactly_the_documents_allowed_per_request(
    make_live: Callable[..., Web],
) -> None:
    web = make_live(verification_levels={"erasure": "id_document"}, max_documents_per_request=3)
    reference, token = submit(web, "dee@people.example")
    path = f"/api/v1/requests/{reference}/document"
    scan = {"file": ("id.pdf", b"%PDF-1.4 scan", "application/pdf")}
    answers = parallel(*[post(web, path, data={"token": token}, files=scan)] * PARALLEL)
    counted = statuses(answers)
    assert counted == {201: 3, 409: PARALLEL - 3}
    refused = next(a for a in answers if a.status_code == 409).json()["error"]
    assert (refused["code"], refused["field"]) == ("too_many_documents", "document")
    with web.platform.sessions() as session:
        assert session.scalar(select(func.count()).select_from(IdentityDocument)) == 3


# --- staff sign-in --------------------------------------------------------------------------------


def _sign_in_calls(
    web: Web, email: str, passwords: list[str]
) -> list[Callable[[], httpx.Response]]:
    token = csrf(web.client.get("/admin/sign-in"))
    return [
        post(web, "/admin/sign-in", data={"csrf_token": token, "email": email, "password": p})
        for p in passwords
    ]


def _throttle(web: Web, email: str) -> SignInThrottle | None:
    with web.platform.sessions() as session:
        return session.get(SignInThrottle, email_index(web.platform.keyring, email))


def test_parallel_wrong_passwords_lock_at_exactly_the_limit_without_a_server_error(
    make_live: Callable[..., Web],
) -> None:
    web = make_live(sign_in_max_failures=5)
    email = web.staff(Role.analyst)
    wrong = [f"wrong password {n}" for n in range(PARALLEL)]
    counted = statuses(parallel(*_sign_in_calls(web, email, wrong)))
    assert counted == {401: 4, 429: PARALLEL - 4}
    throttle = _throttle(web, email)
    assert throttle is not None
    assert throttle.failures == 5
    assert throttle.locked_until is not None
    assert web.sign_in(email).status_code == 429  # the right password, after the lock


def test_a_right_password_among_parallel_wrong_ones_never_signs_in_past_the_lock(
    make_live: Callable[..., Web],
) -> None:
    web = make_live(sign_in_max_failures=5)
    email = web.staff(Role.analyst)
    passwords = [f"wrong password {n}" for n in range(PARALLEL - 1)] + [PASSWORD]
    answers = parallel(*_sign_in_calls(web, email, passwords))
    counted = statuses(answers)
    assert set(counted) <= {303, 401, 429}
    assert counted[303] <= 1
    with web.platform.sessions() as session:
        actions = session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.action.in_(["staff.signed_in", "staff.sign_in_locked"]))
            .order_by(AuditEntry.seq)
        ).all()
    if answers[-1].status_code == 303:  # decided before the fifth failure: then allowed
        assert actions[0] == "staff.signed_in"
    else:  # decided after it: refused, and exactly five failures were counted
        assert answers[-1].status_code == 429
        assert counted[401] == 4
        assert "staff.signed_in" not in actions
    assert actions.count("staff.sign_in_locked") == 1
    throttle = _throttle(web, email)
    assert throttle is None or throttle.failures <= 5


# --- rate limits and proxy headers ---------------------------------------------------------------


@SQLITE_ONLY
def test_parallel_requests_to_a_token_page_get_exactly_the_burst(
    make_live: Callable[..., Web],
) -> None:
    web = make_live(rate_limit_burst=5, rate_limit_per_minute=1)
    page = "/privacy/requests/AAAAAAAAAA?token=not-a-real-token"
    counted = statuses(parallel(*[get(web, page)] * PARALLEL))
    assert counted == {404: 5, 429: PARALLEL - 5}


def test_x_forwarded_for_from_an_untrusted_client_does_not_reset_the_rate_limit(
    tmp_path: Path,
) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAWFUL_")}
    env |= {"LAWFUL_DATA_DIR": str(tmp_path / "store"), "LAWFUL_RATE_LIMIT_BURST": "3",
            "LAWFUL_RATE_LIMIT_PER_MINUTE": "1"}  # fmt: skip
    command = [str(Path(sys.executable).parent / "lawful"), "serve", "--map",
               str(Path(__file__).parents[2] / "examples" / "contact-center" / "lawful.yaml"),
               "--port", str(port)]  # fmt: skip
    server = subprocess.Popen(command, cwd=tmp_path, env=env, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}"
        assert _healthy(f"{url}/healthz", server)
        page = f"{url}/privacy/requests/AAAAAAAAAA?token=not-a-real-token"
        answers = [
            httpx.get(page, headers={"X-Forwarded-For": f"203.0.113.{n}"}) for n in range(1, 9)
        ]
        assert [a.status_code for a in answers] == [404] * 3 + [429] * 5
    finally:
        server.terminate()
        server.communicate(timeout=30)


# --- download codes and single-use links --------------------------------------------------------


def _someone_in(company_files: Path) -> str:
    with sqlite3.connect(company_files / "crm.sqlite") as db:
        (email,) = db.execute("SELECT email FROM contacts ORDER BY contact_id LIMIT 1").fetchone()
    return str(email)


def _completed_access(web: Web, email: str) -> tuple[str, dict[str, str]]:
    """A completed access request with its package; the reference and the form to download."""
    form = {"request_type": "access", "email": email, "country": "FR"}
    form["csrf_token"] = csrf(web.client.get("/privacy"))
    made = web.client.post("/privacy/requests", data=form, files={"document": ("", b"")})
    web.settle()
    reference, token = _STATUS.search(made.headers["location"]).groups()  # type: ignore[union-attr]
    page = web.client.get(made.headers["location"])
    own = {"csrf_token": csrf(page), "token": token}
    code = code_for(web, reference)
    web.client.post(f"/privacy/requests/{reference}/verify", data=own | {"code": code})
    web.settle()
    officer = web.signed_in(Role.privacy_officer)
    detail = officer.get(f"/admin/requests/{reference}")
    officer.post(f"/admin/requests/{reference}/approve", data={"csrf_token": csrf(detail)})
    web.settle()
    web.client.post(f"/privacy/requests/{reference}/download-code", data=own)
    web.settle()
    return reference, own


@SQLITE_ONLY
def test_parallel_wrong_download_codes_take_exactly_five_tries(
    make_live: Callable[..., Web], company_files: Path
) -> None:
    web = make_live(datastore_dir=company_files)
    reference, own = _completed_access(web, _someone_in(company_files))
    code = code_for(web, reference)
    path = f"/privacy/requests/{reference}/download"
    answers = parallel(*[post(web, path, data=own | {"code": c}) for c in wrong_codes(code)])
    assert statuses(answers) == {400: MAX_WRONG_CODES - 1, 429: PARALLEL - MAX_WRONG_CODES + 1}
    assert web.client.post(path, data=own | {"code": code}).status_code == 429
    stored = the_code(web, reference, CodePurpose.download)
    assert stored.attempts == MAX_WRONG_CODES
    assert stored.used_at is None


@SQLITE_ONLY
def test_a_download_link_opened_in_parallel_gives_the_package_exactly_once(
    make_live: Callable[..., Web], company_files: Path
) -> None:
    web = make_live(datastore_dir=company_files)
    reference, own = _completed_access(web, _someone_in(company_files))
    code = code_for(web, reference)
    link = web.client.post(f"/privacy/requests/{reference}/download", data=own | {"code": code})
    assert link.status_code == 303
    answers = parallel(*[get(web, link.headers["location"])] * PARALLEL)
    assert statuses(answers) == {200: 1, 410: PARALLEL - 1}
    with web.platform.sessions() as session:
        assert session.scalars(select(RequestPackage.downloads)).one() == 1


def test_parallel_downloads_of_one_package_are_each_counted(
    make_live: Callable[..., Web], company_files: Path
) -> None:
    web = make_live(datastore_dir=company_files)
    reference, own = _completed_access(web, _someone_in(company_files))
    code = code_for(web, reference)
    first = web.client.post(f"/privacy/requests/{reference}/download", data=own | {"code": code})
    assert first.status_code == 303
    # As many live links to the package, for this browser, as parallel clients: each works once.
    links = [f"parallel-download-{n}-{reference}" for n in range(PARALLEL)]
    with web.platform.sessions() as session:
        issued = session.scalars(select(DownloadLink)).one()
        for link in links:
            session.add(DownloadLink(
                package_id=issued.package_id, session_hash=issued.session_hash,
                token_hash=web.platform.keyring.index(f"download-link/{link}"),
                created_at=issued.created_at, expires_at=issued.expires_at))  # fmt: skip
        session.commit()
    answers = parallel(*[get(web, f"/privacy/downloads/{link}") for link in links])
    assert statuses(answers) == {200: PARALLEL}
    with web.platform.sessions() as session:
        assert session.scalars(select(RequestPackage.downloads)).one() == PARALLEL
