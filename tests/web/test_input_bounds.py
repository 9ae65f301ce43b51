"""Numbers at the HTTP edge: offsets and limits past their range are refused with 422 and a
message that gives the range, never passed on to the database (where 2**63 overflows)."""

from __future__ import annotations

import pytest

from .conftest import Web

ROUTES = [("/api/v1/audit", "audit:read"), ("/api/v1/staff/requests", "requests:read")]
BAD = {
    "offset": ["9223372036854775808", "1000000001", "-1", "1e3"],
    "limit": ["0", "1001", "9223372036854775808"],
}


@pytest.mark.parametrize(("path", "scope"), ROUTES)
def test_offsets_and_limits_out_of_range_are_refused_with_422_naming_the_field(
    web: Web, path: str, scope: str
) -> None:
    auth = {"Authorization": f"Bearer {web.api_token(scope)}"}
    for name, values in BAD.items():
        for value in values:
            response = web.client.get(path, params={name: value}, headers=auth)
            assert response.status_code == 422, (name, value, response.text)
            error = response.json()["error"]
            assert (error["code"], error["field"]) == ("invalid_input", name)
    response = web.client.get(path, params={"offset": "9223372036854775808"}, headers=auth)
    assert "1000000000" in response.json()["error"]["message"]


@pytest.mark.parametrize(("path", "scope"), ROUTES)
def test_the_largest_offset_allowed_answers_an_empty_page(web: Web, path: str, scope: str) -> None:
    auth = {"Authorization": f"Bearer {web.api_token(scope)}"}
    response = web.client.get(path, params={"offset": "1000000000"}, headers=auth)
    assert response.status_code == 200, response.text
    page = response.json()
    assert page.get("entries", page.get("items")) == []
