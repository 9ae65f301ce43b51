"""The server's access log, with nothing personal or secret in it.

Uvicorn writes each request's client address and full path to the `uvicorn.access` logger.
Query strings can carry a status token (`/privacy/requests/R?token=…`), and some paths are
secrets themselves: a download link, a preference-center or unsubscribe token. This filter
rewrites each line before any handler sees it: the query string is dropped (`?…`), the
secret segments of those paths become `…`, and the client address is cut to its network
(/24 or /48), as consent evidence is (GDPR Art. 5(1)(c), data minimisation).
"""

from __future__ import annotations

import logging
import re

from lawful.law.minimisation import truncate_ip

ACCESS_LOGGER = "uvicorn.access"
HIDDEN = "…"
# Paths whose segment after the prefix is a secret (the link or token itself).
SECRET_PATHS = re.compile(r"^(/privacy/downloads/|/privacy/preferences/|/u/)[^/?]+")


def redact_path(path: str) -> str:
    """`path` without its query string and with secret segments hidden."""
    path, query_mark, _ = path.partition("?")
    path = SECRET_PATHS.sub(lambda match: match.group(1) + HIDDEN, path)
    return path + (f"?{HIDDEN}" if query_mark else "")


def redact_client(address: str) -> str:
    """uvicorn's "HOST:PORT" ("203.0.113.7:51234", "2001:db8::1:51234") → "203.0.113.0/24"."""
    return truncate_ip(address.rpartition(":")[0]) or HIDDEN


class AccessLogRedaction(logging.Filter):
    """Rewrites uvicorn's access-log record: (client, method, path, version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5:
            client, method, path, version, status = args
            record.args = (redact_client(str(client)), method, redact_path(str(path)), version, status)  # fmt: skip
        return True


def redact_access_log() -> None:
    """Add the filter to uvicorn's access logger, once per process."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, AccessLogRedaction) for f in logger.filters):
        logger.addFilter(AccessLogRedaction())
