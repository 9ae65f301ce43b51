"""The HTTP surface every client meets: tokens and scopes, errors, limits, headers, docs."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import update

from lawful.auth.models import ApiToken, Role
from lawful.store.models import utcnow

from .conftest import Web, csrf


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_api_refuses_a_call_without_a_token_with_401_and_a_bearer_challenge(web: Web) -> None:
    response = web.client.get("/api/v1/audit")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json() == {
        "error": {
            "code": "invalid_token",
            "message": "Send an API token: `Authorization: Bearer <token>`.",
            "field": None,
        }
    }


def test_an_unknown_token_is_refused_with_401(web: Web) -> None:
    response = web.client.get("/api/v1/audit", headers=_bearer("lawful_not-a-real-token"))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"


def test_a_token_without_the_scope_is_refused_with_403(web: Web) -> None:
    token = web.api_token("requests:read")
    response = web.client.get("/api/v1/audit", headers=_bearer(token))
    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "insufficient_scope",
        "message": "This API token lacks the scope(s): audit:read.",
        "field": None,
    }


def test_a_token_with_the_scope_reads_the_audit_trail(web: Web) -> None:
    token = web.api_token("audit:read")
    response = web.client.get("/api/v1/audit", headers=_bearer(token))
    assert response.status_code == 200
    body = response.json()
    actions = [entry["action"] for entry in body["entries"]]
    assert actions[:2] == ["api_token.created", "staff.user_created"]  # newest first
    assert body["total"] == 2
    check = web.client.get("/api/v1/audit/verify", headers=_bearer(token)).json()
    assert (check["intact"], check["breaks"], check["count"]) == (True, [], 2)


@pytest.mark.parametrize("change", ["expired", "revoked"])
def test_an_expired_or_revoked_token_is_refused(web: Web, change: str) -> None:
    token = web.api_token("audit:read")
    column = ApiToken.expires_at if change == "expired" else ApiToken.revoked_at
    with web.platform.sessions() as session:
        session.execute(update(ApiToken).values({column: utcnow() - timedelta(seconds=1)}))
        session.commit()
    assert web.client.get("/api/v1/audit", headers=_bearer(token)).status_code == 401


def test_tokens_are_stored_only_as_digests(web: Web) -> None:
    token = web.api_token("audit:read")
    with web.platform.sessions() as session:
        stored = session.query(ApiToken).one()
        assert token not in (stored.token_hash, stored.prefix)
        assert len(stored.token_hash) == 64
        assert token.startswith(stored.prefix)


def test_a_bad_query_parameter_gets_a_422_naming_the_field(web: Web) -> None:
    token = web.api_token("audit:read")
    response = web.client.get("/api/v1/audit?limit=many", headers=_bearer(token))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert error["field"] == "limit"
    assert error["message"].startswith("limit: ")


def test_an_unknown_api_path_gets_a_json_404(web: Web) -> None:
    response = web.client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_an_unknown_page_gets_an_html_404(web: Web) -> None:
    response = web.client.get("/privacy/nothing-here/at-all")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Back to the privacy center" in response.text


def test_public_forms_are_rate_limited_with_429_and_retry_after(
    make_web: Callable[..., Web],
) -> None:
    web = make_web(rate_limit_burst=2, rate_limit_per_minute=1)
    token = csrf(web.client.get("/privacy"))
    data = {"csrf_token": token, "request_type": "unknown"}
    statuses = [web.client.post("/privacy/requests", data=data).status_code for _ in range(3)]
    assert statuses == [422, 422, 429]
    limited = web.client.post("/privacy/requests", data=data)
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert "Too many requests" in limited.text
    # Sign-in counts separately (another route), and the health check is never limited.
    assert web.client.get("/healthz").status_code == 200


def test_openapi_is_served_at_docs_and_lists_the_request_endpoints(web: Web) -> None:
    schema = web.client.get("/openapi.json").json()
    assert schema["info"]["title"] == "Lawful"
    assert schema["info"]["version"]
    assert "Bearer" in schema["info"]["description"]
    assert "/api/v1/requests" in schema["paths"]
    assert "post" in schema["paths"]["/api/v1/requests"]
    assert "/api/v1/audit" in schema["paths"]
    assert not any(path.startswith(("/admin", "/privacy")) for path in schema["paths"])
    docs = web.client.get("/docs")
    assert docs.status_code == 200
    assert 'data-openapi-url="/openapi.json"' in docs.text
    policy = dict(
        part.split(" ", 1) for part in docs.headers["content-security-policy"].split("; ")
    )
    assert "'unsafe-inline'" not in policy["script-src"]  # Swagger UI starts from a static file
    assert policy["script-src"] == "'self'"  # no CDN: the docs work on a machine offline
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', docs.text):
        assert web.client.get(asset).status_code == 200, asset


@pytest.mark.parametrize("path", ["/privacy", "/admin/sign-in", "/api/v1/audit", "/healthz"])
def test_every_answer_carries_the_security_headers(web: Web, path: str) -> None:
    headers = web.client.get(path).headers
    assert "default-src 'none'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["cache-control"] == "no-store"


def test_signed_in_pages_are_never_stored_and_the_stylesheet_may_be(web: Web) -> None:
    admin = web.signed_in(Role.admin)
    assert admin.get("/admin/requests").headers["cache-control"] == "no-store"
    static = web.client.get("/static/lawful.css")
    assert static.status_code == 200
    assert static.headers["cache-control"].startswith("public")


def test_an_oversized_body_is_refused_before_it_is_read(web: Web) -> None:
    response = web.client.post(
        "/privacy/requests",
        content=b"x" * (6 * 1024 * 1024 + 1),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413
    assert "smaller" in response.text


def test_the_health_check_reports_the_store(web: Web) -> None:
    assert web.client.get("/healthz").json()["status"] == "ok"
