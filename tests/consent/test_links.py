"""Preference and unsubscribe links are sealed: they cannot be forged, altered, reused for
another purpose, or used after they expire; RFC 8058 headers are exact."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from lawful.consent.errors import LinkExpiredError, LinkRefusedError
from lawful.consent.links import (
    LinkKind,
    issue_link,
    make_link_token,
    read_link_token,
    unsubscribe_headers,
)
from lawful.consent.subjects import Subject
from lawful.datamap.models import DataMap
from lawful.store.crypto import Keyring

from .conftest import NOW

ANN = Subject("email", "ann@example.org")


def token(keyring: Keyring, kind: LinkKind = LinkKind.unsubscribe, **fields: Any) -> str:
    return make_link_token(keyring=keyring, kind=kind, subject=ANN, now=NOW, **fields)


def test_a_token_carries_its_subject_channel_and_purpose_without_showing_them(
    keyring: Keyring,
) -> None:
    made = token(keyring, channel="email", purpose="newsletter")
    assert "ann" not in made
    assert "example" not in made
    claims = read_link_token(made, keyring=keyring, kind=LinkKind.unsubscribe, now=NOW)
    assert (claims.subject, claims.channel, claims.purpose) == (
        "email:ann@example.org",
        "email",
        "newsletter",
    )
    assert claims.expires == NOW + timedelta(days=395)


def test_an_altered_token_is_refused(keyring: Keyring) -> None:
    made = token(keyring)
    forged = made[:40] + ("A" if made[40] != "A" else "B") + made[41:]
    with pytest.raises(LinkRefusedError, match="not valid"):
        read_link_token(forged, keyring=keyring, kind=LinkKind.unsubscribe, now=NOW)


@pytest.mark.parametrize("garbage", ["", "%%%", "x" * 2000, "abc"])
def test_garbage_is_refused_without_a_traceback(keyring: Keyring, garbage: str) -> None:
    with pytest.raises(LinkRefusedError):
        read_link_token(garbage, keyring=keyring, kind=LinkKind.preferences, now=NOW)


def test_a_token_made_under_another_key_is_refused(keyring: Keyring) -> None:
    other = Keyring.from_master(b"\x07" * 32)
    with pytest.raises(LinkRefusedError):
        read_link_token(token(other), keyring=keyring, kind=LinkKind.unsubscribe, now=NOW)


def test_an_unsubscribe_token_cannot_open_the_preference_center(keyring: Keyring) -> None:
    with pytest.raises(LinkRefusedError):
        read_link_token(token(keyring), keyring=keyring, kind=LinkKind.preferences, now=NOW)


def test_an_expired_link_says_when_it_expired_and_what_to_do(keyring: Keyring) -> None:
    made = token(keyring, kind=LinkKind.preferences)
    with pytest.raises(
        LinkExpiredError, match=r"expired on 22 December 2026.*ask us for a new one"
    ):
        read_link_token(
            made, keyring=keyring, kind=LinkKind.preferences, now=NOW + timedelta(days=31)
        )


def test_rfc_8058_headers_put_the_https_link_first_and_ask_for_one_click() -> None:
    headers = unsubscribe_headers(url="https://lawful.example/u/TOKEN", mailto="privacy@x.example")
    assert headers == {
        "List-Unsubscribe": "<https://lawful.example/u/TOKEN>, <mailto:privacy@x.example?subject=unsubscribe>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def test_a_link_for_an_unknown_purpose_or_a_malformed_address_is_not_made(
    shop: DataMap, keyring: Keyring
) -> None:
    from lawful.consent.errors import ConsentInputError

    with pytest.raises(ConsentInputError, match="unknown purpose"):
        issue_link(
            datamap=shop,
            keyring=keyring,
            public_url="https://x",
            kind=LinkKind.unsubscribe,
            subject="ann@example.org",
            purpose="nope",
        )
    with pytest.raises(ConsentInputError, match="not an email address"):
        issue_link(
            datamap=shop,
            keyring=keyring,
            public_url="https://x",
            kind=LinkKind.preferences,
            subject="email:ann@",
        )
    url = issue_link(
        datamap=shop,
        keyring=keyring,
        public_url="https://x/",
        kind=LinkKind.unsubscribe,
        subject="ann@example.org",
    )
    assert url.startswith("https://x/u/")
