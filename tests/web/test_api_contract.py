"""The OpenAPI document says what the API really answers: every error status a route can
send is listed for it, with the one error body the API sends (`ErrorOut`), and real error
answers of each status conform to what the document says (checked by schemathesis)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi.routing import APIRoute
from fastapi.security.base import SecurityBase

from lawful.http.deps import rate_limited
from lawful.web.app import CONTRIBUTIONS

from .conftest import Web

# The document and the error bodies do not depend on the store: SQLite is enough.
pytestmark = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
ERROR_BODY = {"$ref": "#/components/schemas/ErrorOut"}
DRP_ERROR_BODY = {"$ref": "#/components/schemas/DrpErrorOut"}  # the DRP's own shape (§3.06)


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def _calls(route: APIRoute) -> set[Any]:
    """Every dependency a route runs, nested ones included."""
    found, todo = set(), list(route.dependant.dependencies)
    while todo:
        dependant = todo.pop()
        found.add(dependant.call)
        todo.extend(dependant.dependencies)
    return found


def _expected(route: APIRoute, operation: dict[str, Any]) -> set[str]:
    """The error statuses any route of its kind can answer, whatever its service does."""
    calls = _calls(route)
    statuses = set()
    if any(isinstance(call, SecurityBase) for call in calls):
        statuses |= {"401", "403"}  # no valid token; a token without the scope
    if rate_limited in calls:
        statuses.add("429")
    if operation.get("parameters") or "requestBody" in operation:
        statuses.add("422")
    if "requestBody" in operation:
        statuses |= {"400", "413"}  # a body that cannot be read; one too large
    return statuses


def conforms(web: Web, method: str, path: str, answer: httpx.Response) -> None:
    """The answer's status is documented for the operation, with its content type and body."""
    document = web.client.get("/openapi.json").json()
    assert str(answer.status_code) in document["paths"][path][method.lower()]["responses"]
    schemathesis.openapi.from_dict(document)[path][method].validate_response(answer)


def test_no_operation_documents_a_body_the_api_never_sends(web: Web) -> None:
    document = web.client.get("/openapi.json").json()
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for path, method, operation in _operations(document):
        for status, response in operation["responses"].items():
            if not status.startswith("4"):
                continue
            if path.startswith("/v1/") and "content" not in response:
                continue  # the DRP's pair-wise setup refuses with no body (DRP 1.0 §2.05)
            schema = response["content"]["application/json"]["schema"]
            allowed = [ERROR_BODY, DRP_ERROR_BODY] if path.startswith("/v1/") else [ERROR_BODY]
            assert schema in allowed, f"{method.upper()} {path} {status}"


def test_every_operation_documents_the_errors_its_kind_of_route_answers(web: Web) -> None:
    document = web.client.get("/openapi.json").json()
    routers = [router for c in CONTRIBUTIONS for router in c.routers]
    routes = [r for router in routers for r in router.routes if isinstance(r, APIRoute)]
    checked = set()
    for route in (r for r in routes if r.include_in_schema):
        for method in route.methods or ():
            operation = document["paths"][route.path_format][method.lower()]
            missing = _expected(route, operation) - set(operation["responses"])
            assert not missing, f"{method} {route.path_format} does not document {missing}"
            checked.add((route.path_format, method.lower()))
    api = {(path, method) for path, method, _ in _operations(document) if path.startswith("/api/")}
    assert api <= checked


def _submit(web: Web) -> str:
    return _submitted(web)[0]


def _submitted(web: Web) -> tuple[str, str]:
    """A new request's reference and status token."""
    body = {"type": "access", "email": "ann@example.org", "country": "FR"}
    made = web.client.post("/api/v1/requests", json=body)
    assert made.status_code == 201, made.text
    return made.json()["reference"], made.json()["status_token"]


def _wrong_code(web: Web) -> httpx.Response:
    reference, token = _submitted(web)
    body = {"token": token, "code": "000000"}
    answer: httpx.Response = web.client.post(f"/api/v1/requests/{reference}/verify", json=body)
    return answer


def _bearer(web: Web, *scopes: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {web.api_token(*scopes)}"}


def _approve_cancelled(web: Web) -> httpx.Response:
    reference, headers = _submit(web), _bearer(web, "requests:write")
    cancelled = web.client.post(f"/api/v1/staff/requests/{reference}/cancel", headers=headers)
    assert cancelled.status_code == 200, cancelled.text
    answer: httpx.Response = web.client.post(
        f"/api/v1/staff/requests/{reference}/approve", headers=headers
    )
    return answer


ErrorCase = Callable[[Web], tuple[str, str, httpx.Response]]
ERROR_CASES: dict[int, ErrorCase] = {
    400: lambda web: ("POST", "/api/v1/requests/{reference}/verify", _wrong_code(web)),
    401: lambda web: ("GET", "/api/v1/audit", web.client.get("/api/v1/audit")),
    403: lambda web: ("GET", "/api/v1/staff/requests", web.client.get(
        "/api/v1/staff/requests", headers=_bearer(web, "audit:read"))),
    404: lambda web: ("GET", "/api/v1/staff/requests/{reference}", web.client.get(
        "/api/v1/staff/requests/NO-SUCH-REF", headers=_bearer(web, "requests:read"))),
    409: lambda web: ("POST", "/api/v1/staff/requests/{reference}/approve", _approve_cancelled(web)),
    413: lambda web: ("POST", "/api/v1/consent/objections", web.client.post(
        "/api/v1/consent/objections", content=b"x" * (7 * 1024 * 1024),
        headers={"Content-Type": "application/json"})),
    422: lambda web: ("GET", "/api/v1/audit", web.client.get(
        "/api/v1/audit?limit=many", headers=_bearer(web, "audit:read"))),
}  # fmt: skip


@pytest.mark.parametrize("status", sorted(ERROR_CASES))
def test_a_real_error_answer_conforms_to_the_documented_response(web: Web, status: int) -> None:
    method, path, answer = ERROR_CASES[status](web)
    assert answer.status_code == status, answer.text
    conforms(web, method, path, answer)


def test_a_body_that_is_not_utf8_gets_the_documented_400(web: Web) -> None:
    headers = _bearer(web, "consent:write") | {"Content-Type": "application/json"}
    answer = web.client.post("/api/v1/consent/objections", content=b"\xff\xfe{", headers=headers)
    assert answer.status_code == 400
    assert answer.json()["error"] == {
        "code": "bad_request",
        "message": "The body could not be read: send JSON in UTF-8 (or a multipart form).",
        "field": None,
    }
    conforms(web, "POST", "/api/v1/consent/objections", answer)


def test_rate_limited_answers_conform_to_the_documented_429(make_web: Callable[..., Web]) -> None:
    web = make_web(rate_limit_burst=1, rate_limit_per_minute=1)
    answers = [web.client.post("/api/v1/requests", json={}) for _ in range(2)]
    assert [a.status_code for a in answers] == [422, 429]
    for answer in answers:
        conforms(web, "POST", "/api/v1/requests", answer)
