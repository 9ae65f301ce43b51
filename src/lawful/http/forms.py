"""Forms arrive as UTF-8 or are refused.

The form parsers below the framework never fail on bad bytes: a URL-encoded `%FF` becomes
U+FFFD and a multipart field falls back to Latin-1, so a damaged address such as `��@x.example`
would be stored and mailed. This layer reads each form body (already bounded by
`BodyLimitMiddleware`), checks every field's name and text value decode as UTF-8 — file
contents are left alone — and answers 400 naming the field, before anything parses it.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lawful.errors import DomainError

URLENCODED, MULTIPART = b"application/x-www-form-urlencoded", b"multipart/form-data"


class FormEncodingError(DomainError):
    http_status = 400
    code = "bad_encoding"

    def __init__(self, field: str) -> None:
        super().__init__(
            f"The form field {field!r} is not valid UTF-8 text: send the form again from its "
            "page, or encode what you send as UTF-8.",
            field=field,
        )


class FormEncodingMiddleware:
    """Refuse a form whose fields are not UTF-8 (400), then hand on the body unchanged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind, options = _content_type(scope)
        if scope["type"] != "http" or kind not in (URLENCODED, MULTIPART):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if message["type"] != "http.request" or not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if kind == URLENCODED:
            bad = bad_urlencoded_field(body)
        else:
            bad = bad_multipart_field(body, options.get(b"boundary", b""))
        if bad is not None:
            raise FormEncodingError(bad)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def _content_type(scope: Scope) -> tuple[bytes, dict[bytes, bytes]]:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            kind, options = parse_options_header(value)
            return kind.lower(), options
    return b"", {}


def _shown(raw: bytes) -> str:
    """A field's name for the message: what decodes of it, at most 40 characters."""
    return raw.decode("utf-8", errors="replace")[:40]


def bad_urlencoded_field(body: bytes) -> str | None:
    """The first field whose name or value is not UTF-8 once percent-decoded, if any."""
    for pair in body.split(b"&"):
        name, _, value = pair.partition(b"=")
        raw_name = unquote_to_bytes(name.replace(b"+", b" "))
        for part in (raw_name, unquote_to_bytes(value.replace(b"+", b" "))):
            try:
                part.decode("utf-8")
            except UnicodeDecodeError:
                return _shown(raw_name)
    return None


def bad_multipart_field(body: bytes, boundary: bytes) -> str | None:
    """The first non-file part whose name or text is not UTF-8, if any. A malformed body is
    left to the parser behind, which refuses it."""
    parts: list[tuple[bytes, bool, bytearray]] = []
    header: dict[str, bytes] = {"field": b"", "value": b""}

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header["field"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header["value"] += data[start:end]

    def on_header_end() -> None:
        if header["field"].lower() == b"content-disposition":
            _, options = parse_options_header(header["value"])
            parts.append((options.get(b"name", b""), b"filename" in options, bytearray()))
        header["field"] = header["value"] = b""

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if parts and not parts[-1][1]:
            parts[-1][2].extend(data[start:end])

    callbacks = {"on_header_field": on_header_field, "on_header_value": on_header_value,
                 "on_header_end": on_header_end, "on_part_data": on_part_data}  # fmt: skip
    try:
        parser = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
        parser.write(body)
        parser.finalize()
    except (MultipartParseError, ValueError):
        return None
    for name, is_file, text in parts:
        try:
            name.decode("utf-8")
            if not is_file:
                bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            return _shown(name)
    return None


# A control character (a NUL byte, an escape) is never typed: pages name the field that holds
# one, rather than let a database refuse it (PostgreSQL refuses NUL in text). Tab and line
# breaks are text.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_MESSAGE = "This field holds an invisible control character: type it again."
