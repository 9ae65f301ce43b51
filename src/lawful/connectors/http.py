"""SaaS tools over HTTP, described in the data map instead of coded.

A system's `connection.options` name the base URL, the auth and, per table, templated
requests (`GET /api/users?email={email}`). Values are URL-encoded into the templates, so a
value can never add a path segment or a query parameter. Example:

    connection:
      type: http
      url_env: HELPDESK_URL            # or options.base_url / options.base_url_env
      options:
        auth: {type: bearer, token_env: HELPDESK_TOKEN}
        tables:
          users:
            read:                                   # one request per identity field
              email: "GET /api/users?email={email}"
              id: "GET /api/users/{id} -> user"     # `-> path`: where this answer has them
            update: "PUT /api/users/{id}"
            delete: "DELETE /api/users/{id}"
            rows: users                             # where answers hold the records

Rows an API returns for a look-up are kept only when their field equals the value looked up
(ignoring case): an API that ignores a query parameter cannot make Lawful act on everyone.
Tokens never appear in errors or logs; URLs in httpx's logs lose their path and query,
which carry identity values.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from string import Formatter
from typing import Annotated, Any, Literal
from urllib.parse import quote

import httpx
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from lawful.connectors.base import (
    Before,
    ConnectionSpec,
    ConnectorError,
    Key,
    Referrer,
    Row,
    count_rows,
    json_default,
    key_parts,
    order_key,
    parse_options,
)
from lawful.connectors.match import Match
from lawful.connectors.schema import LiveSchema

_REQUEST = re.compile(r"^(GET|POST|PUT|PATCH|DELETE) (/\S*)(?: -> ([A-Za-z0-9_.]+))?$")
_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SCAN_FIELDS = frozenset({"after", "limit"})


@dataclass(frozen=True)
class Template:
    """One request, `METHOD /path?query`, with `{field}` placeholders.

    A suffix `-> dotted.path` says where this request's answer holds the records, when it
    differs from the table's `rows` (a search answers `users: [...]`, a read by id `user: {...}`).
    """

    method: str
    path: str
    fields: tuple[str, ...]
    rows: str | None = None

    @classmethod
    def parse(cls, text: str) -> Template:
        match = _REQUEST.match(text.strip())
        if match is None:
            raise ValueError(
                f"`{text}` is not a request like `GET /api/users?email={{email}} -> users`"
            )
        method, path, rows = match.groups()
        fields = []
        for _, name, spec, conversion in Formatter().parse(path):
            if name is None:
                continue
            if not _FIELD.match(name) or spec or conversion:
                raise ValueError(f"`{{{name}}}` in `{text}` must be a plain `{{field}}`")
            fields.append(name)
        return cls(method, path, tuple(dict.fromkeys(fields)), rows)

    def fill(self, values: Mapping[str, Any]) -> str:
        return self.path.format_map({f: quote(str(values[f]), safe="") for f in self.fields})

    def __str__(self) -> str:  # shown in errors: the template, never the filled-in values
        return f"{self.method} {self.path}"


def _template(text: str) -> str:
    Template.parse(text)
    return text


TemplateText = Annotated[str, AfterValidator(_template)]


class HTTPAuth(BaseModel):
    """How requests authenticate; every secret is named by an env var, never written here."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["bearer", "basic", "header", "none"] = "none"
    token_env: str | None = Field(default=None, description="bearer / header: the token")
    header: str = Field(default="X-API-Key", description="header: the header's name")
    username_env: str | None = None
    password_env: str | None = None

    @model_validator(mode="after")
    def _secrets_named(self) -> HTTPAuth:
        needed = {"bearer": ["token_env"], "header": ["token_env"]}.get(self.type, [])
        if self.type == "basic":
            needed = ["username_env", "password_env"]
        missing = [name for name in needed if getattr(self, name) is None]
        if missing:
            raise ValueError(f"`{self.type}` auth needs {', '.join(missing)}")
        return self


class HTTPTable(BaseModel):
    """One kind of record in the tool, and the requests that read and change it."""

    model_config = ConfigDict(extra="forbid")

    read: TemplateText | dict[str, TemplateText] | None = None
    update: TemplateText | None = None
    delete: TemplateText | None = None
    scan: TemplateText | None = Field(
        default=None, description="Keyset page: may use {after} (empty at first) and {limit}"
    )
    rows: str | None = Field(
        default=None, description="Dotted path to the list (or object) in the JSON answer"
    )
    key: str = Field(default="id", description="The field that tells records apart")
    body_key: str | None = Field(default=None, description="Wrap update bodies: {body_key: {...}}")
    columns: list[str] = Field(default_factory=list, description="Fields, to check the map")

    @model_validator(mode="after")
    def _placeholders_fit(self) -> HTTPTable:
        reads = self.read if isinstance(self.read, dict) else {}
        for name, text in reads.items():
            if Template.parse(text).fields != (name,):
                raise ValueError(f"the `read` request for `{name}` must use `{{{name}}}` only")
        if isinstance(self.read, str) and len(Template.parse(self.read).fields) != 1:
            raise ValueError("a `read` request must use exactly one `{field}`")
        if self.delete and len(Template.parse(self.delete).fields) != 1:
            raise ValueError("a `delete` request must use exactly one `{field}`, the key")
        if self.scan and not set(Template.parse(self.scan).fields) <= _SCAN_FIELDS:
            raise ValueError("a `scan` request may only use `{after}` and `{limit}`")
        return self


class HTTPOptions(BaseModel):
    """`connection.options` of an `http` system."""

    model_config = ConfigDict(extra="forbid")

    base_url: str | None = Field(default=None, description="When the URL is no secret")
    base_url_env: str | None = None
    auth: HTTPAuth = Field(default_factory=HTTPAuth)
    timeout: float = Field(default=10, gt=0, le=300, description="Seconds per request")
    test: TemplateText | None = Field(default=None, description="Request that checks access")
    headers: dict[str, str] = Field(default_factory=dict)
    tables: dict[str, HTTPTable] = Field(min_length=1)


class _RedactURLs(logging.Filter):
    """httpx logs each request URL at INFO; ours carry emails and ids in path and query."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                f"{a.scheme}://{a.netloc.decode()}/…" if isinstance(a, httpx.URL) else a
                for a in record.args
            )
        return True


_REDACT_URLS = _RedactURLs()


class HTTPConnector:
    """A SaaS tool's REST API, driven by the request templates in the data map."""

    def __init__(self, spec: ConnectionSpec) -> None:
        self.spec = spec
        self.options = parse_options(HTTPOptions, spec)
        self._base = httpx.URL(self._base_url())
        if self._base.scheme not in {"http", "https"} or not self._base.host:
            raise self._error("the base URL must be an http:// or https:// URL with a host")
        headers = {**self.options.headers, **self._auth_headers()}
        self._client = httpx.Client(
            base_url=self._base,
            headers=headers,
            auth=self._basic_auth(),
            timeout=self.options.timeout,
        )
        logger = logging.getLogger("httpx")
        if _REDACT_URLS not in logger.filters:
            logger.addFilter(_REDACT_URLS)

    # -- the Connector protocol ------------------------------------------------------------

    def test_connection(self) -> None:
        """Send the `test` request (must succeed), or `GET /` (must not be refused)."""
        if self.options.test:
            self._send("", Template.parse(self.options.test), {})
            return
        response = self._request("", Template("GET", "/", ()), {})
        if response.status_code >= 500 or response.status_code in {401, 403, 429}:
            self._check(response, "", Template("GET", "/", ()))

    def fetch(
        self,
        table: str,
        *,
        where: Mapping[str, Sequence[Any]],
        columns: Sequence[str],
        casefold: Collection[str] = (),
    ) -> list[Row]:
        """One read request per value; rows kept once, and only when they really match."""
        spec = self._table(table)
        names = list(dict.fromkeys(columns))
        self._check_columns(spec, table, [*where, *names])
        found: dict[object, Row] = {}
        for field, values in where.items():
            template = self._read_template(spec, table, field)
            for value in dict.fromkeys(v for v in values if v is not None):
                for row in self._rows(table, spec, template, {template.fields[0]: value}):
                    if _same(row.get(field), value):
                        found.setdefault(_identity(row, spec.key), row)
        return [{name: row.get(name) for name in names} for row in found.values()]

    def update(self, table: str, *, key: Key, rows: Sequence[Row]) -> int:
        """Send the `update` request per row (non-key fields as the JSON body); 404 counts 0."""
        key = self._single_key(table, key)
        template = self._required(table, "update")
        spec = self._table(table)
        self._check_columns(spec, table, list(dict.fromkeys(n for row in rows for n in row)))
        missing = [f for f in template.fields for row in rows if f not in row]
        if missing:
            raise self._error(f"the `update` request needs `{missing[0]}` in each row", table)

        def send(row: Row) -> bool:
            body = {k: v for k, v in row.items() if k != key and k not in template.fields}
            wrapped = {spec.body_key: body} if spec.body_key else body
            content = json.dumps(wrapped, default=json_default)
            return self._send(table, template, row, content=content, missing_ok=True) is not None

        return self._one_by_one("update", rows, send)

    def delete(self, table: str, *, key: Key, keys: Sequence[Any]) -> int:
        """Send the `delete` request per key; a record already gone (404) counts 0."""
        self._single_key(table, key)
        template = self._required(table, "delete")

        def send(value: Any) -> bool:
            values = {template.fields[0]: value}
            return self._send(table, template, values, missing_ok=True) is not None

        return self._one_by_one(
            "delete", list(dict.fromkeys(k for k in keys if k is not None)), send
        )

    def count(
        self,
        table: str,
        *,
        where: Mapping[str, Sequence[Any]] | None = None,
        before: Before | None = None,
        match: Match | None = None,
    ) -> int:
        """Count the records a look-up finds, or every record by paging with `scan`.

        `before` is refused: an API has no date filter Lawful can rely on.
        """
        self._refuse_dates(table, before, match)
        spec = self._table(table)
        if where is not None:
            return len(self.fetch(table, where=where, columns=[spec.key]))
        total, after = 0, None
        while page := self.scan(table, key=spec.key, columns=[], after=after):
            total += len(page)
            after = page[-1][spec.key]
        return total

    def scan(
        self,
        table: str,
        *,
        key: Key,
        columns: Sequence[str],
        after: Any = None,
        limit: int = 1000,
        before: Before | None = None,
        match: Match | None = None,
    ) -> list[Row]:
        """One `scan` request; rows past `after` in key order, at most `limit`.

        The API must honour `{after}` (records with a greater key) and `{limit}`. `before`
        is refused: an API has no date filter Lawful can rely on.
        """
        self._refuse_dates(table, before, match)
        key = self._single_key(table, key)
        if limit < 1:
            raise self._error("scan needs a limit of at least 1", table)
        template = self._required(table, "scan")
        spec = self._table(table)
        names = list(dict.fromkeys([key, *columns]))
        values = {"after": "" if after is None else after, "limit": limit}
        rows = [
            row
            for row in self._rows(table, spec, template, values)
            if row.get(key) is not None
            and (after is None or order_key(row[key]) > order_key(after))
        ]
        rows.sort(key=lambda row: order_key(row[key]))
        return [{name: row.get(name) for name in names} for row in rows[:limit]]

    def _single_key(self, table: str, key: Key) -> str:
        """An API names a record by one field in its URL: a composite key cannot be sent."""
        if isinstance(key, str):
            return key
        names = list(key)
        if len(names) != 1:
            raise self._error(
                f"an HTTP table is keyed by one field, not ({', '.join(names)}): set the "
                "dataset's `primary_key` to the field its URLs use",
                table,
            )
        return names[0]

    def _refuse_dates(self, table: str, before: Before | None, match: Match | None) -> None:
        if before is not None or match:
            raise self._error(
                "an HTTP API cannot be asked for records dated before a cutoff or meeting a "
                "rule's conditions, so retention "
                "rules cannot be swept here: use the tool's own retention settings, or sync "
                "it to a database Lawful can sweep",
                table,
            )

    def count_by(
        self, table: str, *, columns: Sequence[str], values: Sequence[Any]
    ) -> dict[Any, int]:
        """Rows per value of `columns`, read by the first column and counted here."""
        firsts = list(dict.fromkeys(key_parts(v, columns)[0] for v in values))
        rows = self.fetch(table, where={columns[0]: firsts}, columns=list(columns))
        return count_rows(rows, columns, values)

    def referrers(self, table: str) -> list[Referrer]:
        """None: this store has no foreign keys."""
        return []

    def columns(self, table: str) -> list[str]:
        """The table's declared `columns` (an API cannot list them: empty when undeclared)."""
        return list(self._table(table).columns)

    def transaction(self) -> AbstractContextManager[None]:
        """A no-op: HTTP APIs have no transactions; each request stands alone."""
        return nullcontext()

    def schema(self, *, schemas: Sequence[str] = ()) -> LiveSchema | None:
        """An API does not describe its keys or constraints: None (cannot tell)."""
        return None

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    # -- requests ------------------------------------------------------------------------------

    def _one_by_one(self, action: str, items: Sequence[Any], send: Callable[[Any], bool]) -> int:
        """Send one request per item; a failure says how many went through before it.

        An API has no transaction to roll back, so a partial change is reported, never
        hidden; sending the same requests again is harmless (404 counts as done).
        """
        done = 0
        for position, item in enumerate(items):
            try:
                done += send(item)
            except ConnectorError as err:
                if position:
                    err.args = (
                        f"{err.args[0]} ({position} of {len(items)} {action} requests had "
                        "already gone through; running the step again is safe)",
                    )
                raise
        return done

    def _send(
        self,
        table: str,
        template: Template,
        values: Mapping[str, Any],
        *,
        content: str | None = None,
        missing_ok: bool = False,
    ) -> httpx.Response | None:
        """Send a request; None when the record is not there (404) and that is fine."""
        response = self._request(table, template, values, content=content)
        if missing_ok and response.status_code == httpx.codes.NOT_FOUND:
            return None
        self._check(response, table, template)
        return response

    def _request(
        self, table: str, template: Template, values: Mapping[str, Any], content: str | None = None
    ) -> httpx.Response:
        headers = {"Content-Type": "application/json"} if content is not None else None
        try:
            return self._client.request(
                template.method, template.fill(values), content=content, headers=headers
            )
        except httpx.TimeoutException:
            raise self._error(
                f"{self._host()} did not answer `{template}` within {self.options.timeout:g} s",
                table,
                retryable=True,
            ) from None
        except httpx.TransportError as err:
            raise self._error(
                f"could not reach {self._host()} ({type(err).__name__}); check the URL and network",
                table,
                retryable=True,
            ) from None

    def _check(self, response: httpx.Response, table: str, template: Template) -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        answer = f"{self._host()} answered `{template}` with HTTP {status} {response.reason_phrase}"
        if status in {401, 403}:
            raise self._error(f"{answer}: the credentials were refused; {self._auth_hint()}", table)
        retryable = status == httpx.codes.TOO_MANY_REQUESTS or status >= 500
        raise self._error(answer, table, retryable=retryable)

    def _rows(
        self, table: str, spec: HTTPTable, template: Template, values: Mapping[str, Any]
    ) -> Iterator[Row]:
        response = self._send(table, template, values, missing_ok=True)
        if response is None:
            return
        try:
            found: Any = response.json()
        except ValueError:
            raise self._error(f"`{template}` did not answer with JSON", table) from None
        path = template.rows or spec.rows
        for part in path.split(".") if path else []:
            found = found.get(part) if isinstance(found, dict) else None
        records = [found] if isinstance(found, dict) else found
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            where = f"`{path}`" if path else "the answer"
            raise self._error(f"{where} of `{template}` is not a list of JSON objects", table)
        yield from records

    # -- configuration -------------------------------------------------------------------------

    def _base_url(self) -> str:
        env = self.options.base_url_env
        base = self.spec.url or (self.spec.secrets.get(env) if env else None)
        base = base or self.options.base_url
        if not base:
            raise self._error(
                "an `http` system needs its base URL: `url_env` in the connection, or "
                "`base_url` / `base_url_env` in its options"
            )
        return base

    def _auth_headers(self) -> dict[str, str]:
        auth = self.options.auth
        if auth.type == "bearer":
            return {"Authorization": f"Bearer {self._secret(auth.token_env)}"}
        if auth.type == "header":
            return {auth.header: self._secret(auth.token_env)}
        return {}

    def _basic_auth(self) -> httpx.BasicAuth | None:
        auth = self.options.auth
        if auth.type != "basic":
            return None
        return httpx.BasicAuth(self._secret(auth.username_env), self._secret(auth.password_env))

    def _secret(self, env: str | None) -> str:
        value = self.spec.secrets.get(env or "")
        if not value:
            raise self._error(f"the environment variable {env} is not set; export {env}=…")
        return value

    def _auth_hint(self) -> str:
        auth = self.options.auth
        names = [n for n in (auth.token_env, auth.username_env, auth.password_env) if n]
        return f"check {' and '.join(names)}" if names else "the API needs `auth` in the options"

    def _host(self) -> str:
        return f"{self._base.scheme}://{self._base.netloc.decode()}"

    def _table(self, table: str) -> HTTPTable:
        spec = self.options.tables.get(table)
        if spec is None:
            known = ", ".join(sorted(self.options.tables))
            raise self._error(f"no table `{table}` in the connection's `tables` ({known})", table)
        return spec

    def _required(self, table: str, action: Literal["update", "delete", "scan"]) -> Template:
        text: str | None = getattr(self._table(table), action)
        if text is None:
            raise self._error(f"table `{table}` declares no `{action}` request", table)
        return Template.parse(text)

    def _read_template(self, spec: HTTPTable, table: str, field: str) -> Template:
        text = spec.read.get(field) if isinstance(spec.read, dict) else spec.read
        template = Template.parse(text) if text else None
        if template is None or template.fields != (field,):
            raise self._error(f"table `{table}` declares no `read` request by `{field}`", table)
        return template

    def _check_columns(self, spec: HTTPTable, table: str, names: Sequence[str]) -> None:
        missing = [n for n in names if spec.columns and n not in spec.columns]
        if missing:
            raise self._error(
                f"column `{missing[0]}` is not among the table's `columns` "
                f"({', '.join(spec.columns)})",
                table,
            )

    def _error(self, message: str, table: str = "", *, retryable: bool = False) -> ConnectorError:
        return ConnectorError(message, system=self.spec.system, dataset=table, retryable=retryable)


def _same(found: Any, wanted: Any) -> bool:
    return found is not None and str(found).strip().casefold() == str(wanted).strip().casefold()


def _identity(row: Row, key: str) -> object:
    value = row.get(key)
    if value is None or isinstance(value, dict | list):
        return json.dumps(row, sort_keys=True, default=str)
    return value
