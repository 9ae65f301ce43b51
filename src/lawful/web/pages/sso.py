"""Single sign-on with OpenID Connect: the authorization code flow with PKCE (RFC 7636, S256),
`state` against cross-site forgery and `nonce` against replayed ID tokens (OIDC Core §3.1),
through Authlib's OAuth 2 client; the ID token's signature and claims are checked with
joserfc (the JOSE library Authlib builds on) against the provider's published keys.

What the flow must remember between leaving for the provider and coming back (state, nonce,
PKCE verifier, where to go next) rides in a short-lived cookie sealed with the installation's
key (AES-GCM): the browser carries it, cannot read or change it, and it is bound to that
browser. `lawful.auth.sso` then decides which staff account the verified email signs in as.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import warnings
from dataclasses import dataclass
from typing import Annotated, Any

import httpx
from authlib.deprecate import AuthlibDeprecationWarning
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from lawful.auth.models import Role
from lawful.auth.sso import SsoRefusedError, account_for
from lawful.config import Settings
from lawful.http.auth import platform_of, secure_cookies
from lawful.http.deps import DbSession, RateLimited, WebError
from lawful.http.templating import render
from lawful.store.crypto import DecryptionError
from lawful.store.models import utcnow
from lawful.web.pages.session import HOME, safe_next, signed_in

with warnings.catch_warnings():
    # Authlib would rather use `httpx2`, not a dependency of Lawful; its client works the same.
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import OAuth2Client

router = APIRouter(include_in_schema=False)

FLOW_COOKIE = "lawful_sso"
_FLOW_CONTEXT = "web.sso_flow"
FLOW_SECONDS = 600  # time to sign in at the provider and come back
HTTP_TIMEOUT = 10
ID_TOKEN_ALGORITHMS = ("RS256", "PS256", "ES256", "EdDSA")
CALLBACK = "/admin/sso/callback"


class SsoUnavailableError(WebError):
    http_status = 404
    code = "not_found"


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None


_discovered: dict[str, tuple[float, Provider]] = {}
_DISCOVERY_SECONDS = 3600


def _discover(issuer: str) -> Provider:
    """The provider's endpoints from its discovery document (OIDC Discovery §4), kept an hour."""
    cached = _discovered.get(issuer)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    document = httpx.get(url, timeout=HTTP_TIMEOUT).raise_for_status().json()
    if document.get("issuer") != issuer:  # OIDC Discovery §4.3: must match exactly
        raise ValueError(f"the provider at {url} names another issuer: {document.get('issuer')}")
    provider = Provider(
        issuer=issuer,
        authorization_endpoint=document["authorization_endpoint"],
        token_endpoint=document["token_endpoint"],
        jwks_uri=document["jwks_uri"],
        userinfo_endpoint=document.get("userinfo_endpoint"),
    )
    _discovered[issuer] = (time.monotonic() + _DISCOVERY_SECONDS, provider)
    return provider


def _configured(request: Request) -> Settings:
    settings = platform_of(request).settings
    if not settings.oidc_issuer or not settings.oidc_client_id:
        raise SsoUnavailableError(
            "Single sign-on is not set up: set LAWFUL_OIDC_ISSUER and LAWFUL_OIDC_CLIENT_ID."
        )
    return settings


SsoSettings = Annotated[Settings, Depends(_configured)]


def _client(settings: Settings) -> OAuth2Client:
    secret = settings.oidc_client_secret.get_secret_value() if settings.oidc_client_secret else None
    return OAuth2Client(
        client_id=settings.oidc_client_id,
        client_secret=secret,
        scope="openid email profile",
        redirect_uri=settings.public_url.rstrip("/") + CALLBACK,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic" if secret else "none",
        timeout=HTTP_TIMEOUT,
    )


def _refused(request: Request, message: str, *, status: int = 403) -> Response:
    response = render(request, "admin/sso_refused.html.j2", {"error": message}, status_code=status)
    response.delete_cookie(FLOW_COOKIE, path="/admin/sso")
    return response


@router.get("/admin/sso/start", dependencies=[RateLimited])
def start(request: Request, settings: SsoSettings, next: str = HOME) -> Response:
    """Leave for the provider with a fresh state, nonce and PKCE verifier."""
    try:
        provider = _discover(settings.oidc_issuer or "")
    except (httpx.HTTPError, ValueError, KeyError):
        return _refused(request, _PROVIDER_DOWN, status=502)
    state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
    with _client(settings) as client:
        url, _ = client.create_authorization_url(
            provider.authorization_endpoint, state=state, code_verifier=verifier, nonce=nonce
        )
    flow = {"state": state, "nonce": nonce, "verifier": verifier, "next": safe_next(next),
            "at": int(time.time())}  # fmt: skip
    sealed = platform_of(request).keyring.encrypt(json.dumps(flow).encode(), context=_FLOW_CONTEXT)
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        FLOW_COOKIE,
        base64.urlsafe_b64encode(sealed).decode(),
        max_age=FLOW_SECONDS,
        httponly=True,
        samesite="lax",  # sent on the provider's top-level redirect back
        secure=secure_cookies(request),
        path="/admin/sso",
    )
    return response


_PROVIDER_DOWN = (
    "The sign-in service could not be reached, or answered something unexpected. Try again "
    "in a moment, or sign in with your password; tell your administrator if it persists."
)
_START_AGAIN = (
    "This sign-in expired or did not start in this browser. Start again from the sign-in page."
)


def _flow(request: Request) -> dict[str, Any] | None:
    cookie = request.cookies.get(FLOW_COOKIE)
    if not cookie:
        return None
    try:
        sealed = base64.urlsafe_b64decode(cookie.encode())
        flow: dict[str, Any] = json.loads(
            platform_of(request).keyring.decrypt(sealed, context=_FLOW_CONTEXT)
        )
    except (ValueError, DecryptionError):
        return None
    if int(flow.get("at", 0)) + FLOW_SECONDS < time.time():
        return None
    return flow


@router.get("/admin/sso/callback", response_class=HTMLResponse, dependencies=[RateLimited])
def callback(
    request: Request,
    db: DbSession,
    settings: SsoSettings,
    code: Annotated[str, Query(max_length=2000)] = "",
    state: Annotated[str, Query(max_length=200)] = "",
    error: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """Back from the provider: check state, trade the code (with the PKCE verifier), check
    the ID token, then sign in the staff account of its verified email."""
    flow = _flow(request)
    if flow is None or not secrets.compare_digest(str(flow.get("state", "")), state):
        return _refused(request, _START_AGAIN, status=400)
    if error or not code:
        return _refused(request, "The sign-in service did not sign you in (you may have "
                        "cancelled). Start again from the sign-in page.", status=400)  # fmt: skip
    try:
        claims = _verified_claims(settings, code=code, flow=flow)
    except (httpx.HTTPError, ValueError, KeyError, JoseError):
        return _refused(request, _PROVIDER_DOWN, status=502)
    role = Role(settings.oidc_create_role) if settings.oidc_create_role else None
    try:
        user = account_for(
            db, keyring=platform_of(request).keyring, email=claims.get("email"),
            verified=claims.get("email_verified") is True, name=claims.get("name"),
            create_role=role, now=utcnow(),
        )  # fmt: skip
    except SsoRefusedError as refused:
        return _refused(request, refused.message)
    response = signed_in(request, db, user, next=str(flow.get("next", HOME)), method="sso")
    response.delete_cookie(FLOW_COOKIE, path="/admin/sso")
    return response


def _verified_claims(settings: Settings, *, code: str, flow: dict[str, Any]) -> dict[str, Any]:
    provider = _discover(settings.oidc_issuer or "")
    with _client(settings) as client:
        token = client.fetch_token(
            provider.token_endpoint, code=code, code_verifier=flow["verifier"]
        )
        keys = KeySet.import_key_set(
            httpx.get(provider.jwks_uri, timeout=HTTP_TIMEOUT).raise_for_status().json()
        )
        decoded = jwt.decode(token["id_token"], keys, algorithms=list(ID_TOKEN_ALGORITHMS))
        # OIDC Core §3.1.3.7: issuer, audience, expiry and the nonce we sent.
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": provider.issuer},
            aud={"essential": True, "value": settings.oidc_client_id or ""},
            sub={"essential": True},
            exp={"essential": True},
            nonce={"essential": True, "value": flow["nonce"]},
        ).validate(decoded.claims)
        claims: dict[str, Any] = dict(decoded.claims)
        if "email" not in claims and provider.userinfo_endpoint:
            info = client.get(provider.userinfo_endpoint).raise_for_status().json()
            if info.get("sub") != claims["sub"]:  # OIDC Core §5.3.2: must match the ID token
                raise ValueError("the userinfo answer is about another subject")
            claims |= {k: info[k] for k in ("email", "email_verified", "name") if k in info}
    return claims
