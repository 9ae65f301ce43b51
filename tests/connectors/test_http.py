"""The HTTP connector against a real local HTTP server playing a helpdesk SaaS."""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from lawful.connectors import Connector, ConnectorError, open_connector
from lawful.connectors.match import FieldTest, Match
from lawful.datamap.models import Connection

TOKEN = "tok-3f9a1c-not-a-real-token"
USERS = "/api/users"


@dataclass
class Helpdesk:
    """The fake SaaS: its users, what it received, and how it should misbehave."""

    users: dict[int, dict[str, Any]] = field(default_factory=dict)
    received: list[tuple[str, str, dict[str, Any] | None]] = field(default_factory=list)
    fail_with: int | None = None
    fail_from: int = 0  # with `fail_with`: the number of requests answered well first
    delay: float = 0
    ignore_filters: bool = False

    def answer(self, method: str, target: str, body: dict[str, Any] | None) -> tuple[int, Any]:
        self.received.append((method, target, body))
        time.sleep(self.delay)
        if self.fail_with and len(self.received) > self.fail_from:
            return self.fail_with, {"error": "nope"}
        url = urlsplit(target)
        query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        path = unquote(url.path)
        if method == "GET" and path == USERS:
            return 200, {"users": self._search(query)}
        if method == "GET" and path == f"{USERS}/page":
            after = int(query["after"] or 0)
            page = sorted((u for i, u in self.users.items() if i > after), key=lambda u: u["id"])
            return 200, {"data": {"users": page[: int(query["limit"])]}}
        user_id = path.removeprefix(f"{USERS}/")
        if not user_id.isdigit() or int(user_id) not in self.users:
            return 404, {"error": "not found"}
        return self._one(method, int(user_id), body)

    def _search(self, query: dict[str, str]) -> list[dict[str, Any]]:
        users = list(self.users.values())
        if self.ignore_filters:
            return users
        return [u for u in users if all(str(u.get(k)) == v for k, v in query.items())]

    def _one(self, method: str, user_id: int, body: dict[str, Any] | None) -> tuple[int, Any]:
        if method == "GET":
            return 200, {"user": self.users[user_id]}
        if method == "PUT":
            self.users[user_id].update((body or {}).get("user", {}))
            return 200, {"user": self.users[user_id]}
        del self.users[user_id]
        return 204, None


class Handler(BaseHTTPRequestHandler):
    server: Server

    def _serve(self) -> None:
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._reply(401, {"error": "unauthorized"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        status, payload = self.server.helpdesk.answer(self.command, self.path, body)
        self._reply(status, payload)

    do_GET = do_PUT = do_DELETE = _serve  # noqa: N815 (http.server's names)

    def _reply(self, status: int, payload: Any) -> None:
        data = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


class Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() waits for handlers still answering
    helpdesk: Helpdesk

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (a time-out test) is expected; anything else is a bug."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@pytest.fixture
def helpdesk() -> Iterator[tuple[Helpdesk, str]]:
    """A running fake helpdesk with three made-up users, and its base URL."""
    server = Server(("127.0.0.1", 0), Handler)
    server.helpdesk = Helpdesk(
        users={
            i: {"id": i, "email": f"person{i}@example.org", "name": f"Person {i}"}
            for i in (1, 2, 3)
        }
    )
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield server.helpdesk, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


TABLES: dict[str, Any] = {
    "users": {
        "read": {"email": f"GET {USERS}?email={{email}}", "id": f"GET {USERS}/{{id}} -> user"},
        "update": f"PUT {USERS}/{{id}}",
        "delete": f"DELETE {USERS}/{{id}}",
        "scan": f"GET {USERS}/page?after={{after}}&limit={{limit}}",
        "rows": "users",
        "body_key": "user",
    }
}


def open_helpdesk(base_url: str, tmp_path: Path, **options: Any) -> Connector:
    connection = Connection(
        type="http",
        url_env="HELPDESK_URL",
        options={
            "auth": {"type": "bearer", "token_env": "HELPDESK_TOKEN"},
            "tables": TABLES,
            **options,
        },
    )
    environ = {"HELPDESK_URL": base_url, "HELPDESK_TOKEN": TOKEN}
    return open_connector("helpdesk", connection, base_dir=tmp_path, environ=environ)


OpenHelpdesk = Callable[..., Connector]


@pytest.fixture
def connect(helpdesk: tuple[Helpdesk, str], tmp_path: Path) -> Iterator[OpenHelpdesk]:
    opened: list[Connector] = []

    def open_one(**options: Any) -> Connector:
        opened.append(open_helpdesk(helpdesk[1], tmp_path, **options))
        return opened[-1]

    yield open_one
    for connector in opened:
        connector.close()


def test_an_http_connector_implements_the_protocol(connect: OpenHelpdesk) -> None:
    connector = connect(test=f"GET {USERS}/1")
    assert isinstance(connector, Connector)
    connector.test_connection()


def test_fetch_reads_by_each_field_and_keeps_each_record_once(
    connect: OpenHelpdesk, helpdesk: tuple[Helpdesk, str]
) -> None:
    rows = connect().fetch(
        "users",
        where={"email": ["person2@example.org", "nobody@example.org"], "id": [2, "3", 404]},
        columns=["id", "name"],
    )
    assert sorted(rows, key=lambda r: r["id"]) == [
        {"id": 2, "name": "Person 2"},
        {"id": 3, "name": "Person 3"},
    ]
    assert [target for _, target, _ in helpdesk[0].received] == [
        f"{USERS}?email=person2%40example.org",
        f"{USERS}?email=nobody%40example.org",
        f"{USERS}/2",
        f"{USERS}/3",
        f"{USERS}/404",
    ]


def test_values_are_url_encoded_so_they_cannot_add_paths_or_parameters(
    connect: OpenHelpdesk, helpdesk: tuple[Helpdesk, str]
) -> None:
    desk = helpdesk[0]
    desk.users[4] = {"id": 4, "email": "a+b&admin=1@example.org", "name": "Tricky"}
    connector = connect()
    assert connector.fetch(
        "users", where={"email": ["a+b&admin=1@example.org"]}, columns=["id"]
    ) == [{"id": 4}]
    assert connector.delete("users", key="id", keys=["1/../2"]) == 0
    assert desk.received[0][1] == f"{USERS}?email=a%2Bb%26admin%3D1%40example.org"
    assert desk.received[1][1] == f"{USERS}/1%2F..%2F2"
    assert sorted(desk.users) == [1, 2, 3, 4]


def test_records_that_do_not_really_match_are_never_returned(
    connect: OpenHelpdesk, helpdesk: tuple[Helpdesk, str]
) -> None:
    helpdesk[0].ignore_filters = True  # an API that silently ignores the query parameter
    rows = connect().fetch("users", where={"email": ["PERSON1@example.org"]}, columns=["id"])
    assert rows == [{"id": 1}]


def test_update_sends_the_other_fields_as_the_json_body(
    connect: OpenHelpdesk, helpdesk: tuple[Helpdesk, str]
) -> None:
    desk = helpdesk[0]
    changed = connect().update(
        "users", key="id", rows=[{"id": 2, "email": None, "name": "Erased"}, {"id": 9, "name": "x"}]
    )
    assert changed == 1  # the record that does not exist (404) counts nothing
    assert desk.users[2] == {"id": 2, "email": None, "name": "Erased"}
    assert desk.received[0] == ("PUT", f"{USERS}/2", {"user": {"email": None, "name": "Erased"}})


def test_delete_counts_what_it_deleted_and_treats_404_as_already_gone(
    connect: OpenHelpdesk, helpdesk: tuple[Helpdesk, str]
) -> None:
    connector = connect()
    assert connector.delete("users", key="id", keys=[1, 3, 77]) == 2
    assert sorted(helpdesk[0].users) == [2]
    assert connector.delete("users", key="id", keys=[1]) == 0  # idempotent on a re-run


def test_scan_pages_through_every_record_once_and_count_uses_it(
    connect: OpenHelpdesk, helpdesk: tuple[Helpdesk, str]
) -> None:
    desk = helpdesk[0]
    for i in range(4, 26):
        desk.users[i] = {"id": i, "email": f"person{i}@example.org", "name": f"Person {i}"}
    tables = {"users": {**TABLES["users"], "rows": "data.users"}}
    connector = connect(tables=tables)
    seen: list[int] = []
    after = None
    while page := connector.scan("users", key="id", columns=["email"], after=after, limit=10):
        seen.extend(row["id"] for row in page)
        after = page[-1]["id"]
    assert seen == list(range(1, 26))
    assert connector.count("users") == 25


def test_a_retention_condition_is_refused_because_an_api_cannot_filter_by_it(
    connect: OpenHelpdesk,
) -> None:
    connector = connect(tables={"users": {**TABLES["users"], "rows": "data.users"}})
    only = Match((FieldTest("email", ("ann@example.org",)),))
    with pytest.raises(ConnectorError, match="retention rules cannot be swept here"):
        connector.scan("users", key="id", columns=["email"], match=only)
    with pytest.raises(ConnectorError, match="retention rules cannot be swept here"):
        connector.count("users", match=only)


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_server_errors_and_rate_limits_are_retryable(
    connect: OpenHelpdesk, helpdesk: tuple[Helpdesk, str], status: int
) -> None:
    helpdesk[0].fail_with = status
    with pytest.raises(ConnectorError) as caught:
        connect().delete("users", key="id", keys=[1])
    assert caught.value.retryable
    assert f"HTTP {status}" in str(caught.value)
    assert f"DELETE {USERS}/{{id}}" in str(caught.value)  # the template, not the value


def test_a_failure_partway_says_how_many_requests_went_through(
    connect: OpenHelpdesk, helpdesk: tuple[Helpdesk, str]
) -> None:
    desk = helpdesk[0]
    desk.fail_with, desk.fail_from = 503, 2
    connector = connect()
    with pytest.raises(ConnectorError, match="2 of 3 delete requests had already gone through"):
        connector.delete("users", key="id", keys=[1, 2, 3])
    assert sorted(desk.users) == [3]
    desk.fail_with = None
    assert connector.delete("users", key="id", keys=[1, 2, 3]) == 1  # the re-run finishes it
    assert desk.users == {}


def test_client_errors_are_not_retryable_and_show_the_status(
    connect: OpenHelpdesk, helpdesk: tuple[Helpdesk, str]
) -> None:
    helpdesk[0].fail_with = 422
    with pytest.raises(ConnectorError, match="HTTP 422") as caught:
        connect().update("users", key="id", rows=[{"id": 1, "name": "x"}])
    assert not caught.value.retryable
    assert caught.value.system == "helpdesk"
    assert caught.value.dataset == "users"


def test_a_slow_api_times_out_with_a_retryable_error(
    connect: OpenHelpdesk, helpdesk: tuple[Helpdesk, str]
) -> None:
    helpdesk[0].delay = 0.3
    with pytest.raises(ConnectorError, match="did not answer") as caught:
        connect(timeout=0.05).fetch("users", where={"id": [1]}, columns=["id"])
    assert caught.value.retryable


def test_an_unreachable_api_gives_a_retryable_error(tmp_path: Path) -> None:
    connector = open_helpdesk("http://127.0.0.1:1", tmp_path)
    with pytest.raises(ConnectorError, match=r"could not reach http://127\.0\.0\.1:1") as caught:
        connector.fetch("users", where={"id": [1]}, columns=["id"])
    connector.close()
    assert caught.value.retryable
    assert caught.value.system == "helpdesk"


def test_refused_credentials_name_the_env_var_and_the_token_is_never_shown_or_logged(
    helpdesk: tuple[Helpdesk, str], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    connection = Connection(
        type="http",
        url_env="HELPDESK_URL",
        options={"auth": {"type": "bearer", "token_env": "HELPDESK_TOKEN"}, "tables": TABLES},
    )
    wrong = "tok-wrong-secret-value"
    environ = {"HELPDESK_URL": helpdesk[1], "HELPDESK_TOKEN": wrong}
    connector = open_connector("helpdesk", connection, base_dir=tmp_path, environ=environ)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ConnectorError) as caught:
        connector.fetch("users", where={"email": ["person1@example.org"]}, columns=["id"])
    connector.close()
    message = str(caught.value)
    assert "HTTP 401" in message
    assert "check HELPDESK_TOKEN" in message
    assert not caught.value.retryable
    assert wrong not in message
    assert wrong not in repr(connector.spec)  # type: ignore[attr-defined]
    assert "HTTP Request" in caplog.text  # httpx did log the request ...
    assert wrong not in caplog.text
    assert "person1" not in caplog.text  # ... without the identity value in its URL


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"tables": {"users": {"read": "FETCH /users/{id}"}}}, "is not a request like"),
        ({"tables": {"users": {"read": "GET /users/{id!r}"}}}, "must be a plain"),
        ({"tables": {"users": {"delete": "DELETE /a/{x}/{y}"}}}, "exactly one"),
        ({"tables": {"users": {"read": {"email": "GET /u?mail={mail}"}}}}, "must use `{email}`"),
        ({"tables": {"users": {"reed": "GET /u/{id}"}}}, "`tables.users.reed`"),
        ({"auth": {"type": "bearer"}, "tables": {"u": {}}}, "needs token_env"),
        ({"tables": {}}, "`tables`"),
    ],
)
def test_malformed_options_are_reported_with_where_they_are(
    options: dict[str, Any], problem: str, tmp_path: Path
) -> None:
    connection = Connection(type="http", options={"base_url": "https://example.org", **options})
    with pytest.raises(ConnectorError) as caught:
        open_connector("helpdesk", connection, base_dir=tmp_path, environ={})
    assert problem in str(caught.value)
    assert caught.value.system == "helpdesk"


def test_an_action_the_table_does_not_declare_is_a_clear_error(connect: OpenHelpdesk) -> None:
    connector = connect(tables={"users": {"read": f"GET {USERS}?email={{email}}", "rows": "users"}})
    with pytest.raises(ConnectorError, match="declares no `delete` request"):
        connector.delete("users", key="id", keys=[1])
    with pytest.raises(ConnectorError, match="declares no `read` request by `phone`"):
        connector.fetch("users", where={"phone": ["1"]}, columns=["id"])
    with pytest.raises(ConnectorError, match=r"no table `tickets`.*\(users\)"):
        connector.count("tickets", where={"id": [1]})


def test_declared_columns_are_checked_and_listed(connect: OpenHelpdesk) -> None:
    tables = {"users": {**TABLES["users"], "columns": ["id", "email", "name"]}}
    connector = connect(tables=tables)
    assert connector.columns("users") == ["id", "email", "name"]
    with pytest.raises(ConnectorError, match="column `phone` is not among"):
        connector.fetch("users", where={"email": ["x"]}, columns=["phone"])
    assert connect().columns("users") == []  # undeclared: the API cannot tell
