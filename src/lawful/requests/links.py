"""Links in mail to the pages of the privacy center (`lawful.requests.public`)."""

from __future__ import annotations

from urllib.parse import quote


def status_url(public_url: str, reference: str, token: str) -> str:
    return f"{public_url}/privacy/requests/{quote(reference)}?token={quote(token)}"


def download_url(public_url: str, reference: str, token: str) -> str:
    return f"{public_url}/privacy/requests/{quote(reference)}/download?token={quote(token)}"


def privacy_url(public_url: str) -> str:
    return f"{public_url}/privacy"
