"""A real OpenID Connect provider for the single sign-on tests: panva's `oidc-provider` (npm,
pinned in `oidc_provider/package-lock.json`) run by the machine's node. `npm ci` installs it
into `tests/support/oidc_provider/node_modules/` the first time a test needs it.

`start_oidc_provider(redirect_uri)` runs one on a free port until the block ends. Any login
is accepted with any password; the login is the account's email, verified unless it starts
with `unverified.`. `sign_in_at_provider` walks its login and consent forms with an HTTP
client, as a browser would, and returns the redirect back to Lawful."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import IO
from urllib.parse import urljoin

import httpx

from .servers import free_port

FOLDER = Path(__file__).parent / "oidc_provider"
CLIENT_ID = "lawful"
CLIENT_SECRET = "test client secret of lawful"
_FORM = re.compile(r'<form[^>]*action="([^"]+)"[^>]*method="post"', re.IGNORECASE)
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


@dataclass(frozen=True)
class OidcProvider:
    issuer: str
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET

    def settings(self) -> dict[str, str]:
        """The `Settings` overrides that point Lawful at this provider."""
        return {
            "oidc_issuer": self.issuer,
            "oidc_client_id": self.client_id,
            "oidc_client_secret": self.client_secret,
            "oidc_provider_name": "Test provider",
        }


def install() -> None:
    """`npm ci` once: the exact versions of the lock file."""
    if (FOLDER / "node_modules" / "oidc-provider").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is missing: install nodejs and npm (scripts/bootstrap does)")
    subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=FOLDER,
        check=True,
        timeout=600,
    )


@contextmanager
def start_oidc_provider(redirect_uri: str) -> Iterator[OidcProvider]:
    install()
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is missing: install nodejs (scripts/bootstrap does)")
    port = free_port()
    log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 — closed below
    process = subprocess.Popen(
        [node, str(FOLDER / "server.js"), str(port), redirect_uri, CLIENT_SECRET],
        cwd=FOLDER,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        issuer = f"http://127.0.0.1:{port}"
        _wait_for(f"{issuer}/.well-known/openid-configuration", process, log)
        yield OidcProvider(issuer=issuer)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wait_for(url: str, process: subprocess.Popen[bytes], log: IO[str]) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            log.seek(0)
            raise RuntimeError(f"the OIDC provider does not answer at {url}: {log.read()}")
        time.sleep(0.1)


def sign_in_at_provider(authorize_url: str, *, login: str, stop_at: str) -> str:
    """Follow the provider's pages from `authorize_url`, fill its login form with `login`
    and accept its consent form, until a redirect to a URL starting with `stop_at` (Lawful's
    callback), which is returned without being followed."""
    with httpx.Client(follow_redirects=False, timeout=30) as browser:
        url = authorize_url
        for _ in range(20):
            if url.startswith(stop_at):
                return url
            answer = browser.get(url)
            while answer.is_redirect:
                url = urljoin(url, answer.headers["location"])
                if url.startswith(stop_at):
                    return url
                answer = browser.get(url)
            found = _FORM.search(answer.text)
            if found is None:
                raise AssertionError(f"the provider showed no form at {url}: {answer.text[:500]}")
            fields = dict(_HIDDEN.findall(answer.text))
            if 'name="login"' in answer.text:
                fields |= {"login": login, "password": "any password"}
            posted = browser.post(urljoin(url, unescape(found.group(1))), data=fields)
            if not posted.is_redirect:
                raise AssertionError(f"the provider refused the form: {posted.text[:500]}")
            url = urljoin(url, posted.headers["location"])
        raise AssertionError("the provider never sent the browser back")
