"""The access package is sealed at rest and released through a single-use link, bound to the
browser session that entered a fresh code, for a short time."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import select

from lawful.requests.delivery import confirm_download_code, open_download, send_download_code
from lawful.requests.errors import DownloadGoneError, DownloadRefusedError
from lawful.requests.models import RequestPackage
from lawful.requests.service import approve_request, verify_request

from .conftest import World

MINE = "browser-session-of-the-person-0001"
OTHER = "browser-session-of-someone-else-02"


@pytest.fixture
def completed(world: World) -> str:
    """An access request of a job applicant, carried out: its package is stored."""
    _, email = world.candidate(offset=20)
    reference = world.submit(request_type="access", email=email, country="FR").request.reference
    with world.session() as session:
        verify_request(
            session, ctx=world.ctx, reference=reference, code=world.code(), now=world.clock.now
        )
    with world.session() as session:
        approve_request(
            session, ctx=world.ctx, reference=reference, actor="staff:1", now=world.clock.now
        )
    return reference


def link_for(world: World, reference: str, browser: str = MINE) -> str:
    with world.session() as session:
        send_download_code(session, ctx=world.ctx, reference=reference, now=world.clock.now)
    with world.session() as session:
        outcome = confirm_download_code(
            session,
            ctx=world.ctx,
            reference=reference,
            code=world.code("download_code"),
            browser_session=browser,
            now=world.clock.now,
        )
    assert outcome.token is not None
    return outcome.token


def download(world: World, token: str, browser: str = MINE, minutes: int = 0) -> bytes:
    with world.session() as session:
        return open_download(
            session,
            ctx=world.ctx,
            token=token,
            browser_session=browser,
            now=world.clock.now + timedelta(minutes=minutes),
        ).content


def test_the_stored_package_is_sealed_not_a_zip(world: World, completed: str) -> None:
    with world.sessions() as session:
        package = session.scalars(
            select(RequestPackage).filter_by(request_id=world.request(completed).id)
        ).one()
    assert not package.sealed.startswith(b"PK")
    assert b"data.json" not in package.sealed
    content = download(world, link_for(world, completed))
    assert content.startswith(b"PK")
    assert len(content) == package.size
    assert zipfile.ZipFile(io.BytesIO(content)).namelist()[0] == "data.json"


def test_the_link_works_once(world: World, completed: str) -> None:
    token = link_for(world, completed)
    assert download(world, token).startswith(b"PK")
    with pytest.raises(DownloadGoneError, match="already used"):
        download(world, token)


def test_the_link_fails_from_another_browser_session(world: World, completed: str) -> None:
    token = link_for(world, completed)
    with pytest.raises(DownloadRefusedError, match="only in the browser") as refused:
        download(world, token, browser=OTHER)
    assert refused.value.http_status == 403
    assert download(world, token).startswith(b"PK")  # the person's own browser still can


def test_the_link_fails_after_it_expires(world: World, completed: str) -> None:
    token = link_for(world, completed)
    with pytest.raises(DownloadGoneError, match="expired") as refused:
        download(world, token, minutes=31)
    assert refused.value.http_status == 410


def test_a_wrong_download_code_counts_and_gives_no_link(world: World, completed: str) -> None:
    with world.session() as session:
        send_download_code(session, ctx=world.ctx, reference=completed, now=world.clock.now)
    code = world.code("download_code")
    with world.session() as session:
        outcome = confirm_download_code(
            session,
            ctx=world.ctx,
            reference=completed,
            code=f"{(int(code) + 1) % 10**6:06d}",
            browser_session=MINE,
            now=world.clock.now,
        )
    assert outcome.token is None
    assert outcome.code.error is not None
    assert "4 more tries" in outcome.code.error.message


def test_no_package_is_offered_once_it_has_expired(world: World, completed: str) -> None:
    world.clock.now += timedelta(days=31)
    with world.session() as session, pytest.raises(DownloadGoneError, match="no longer available"):
        send_download_code(session, ctx=world.ctx, reference=completed, now=world.clock.now)
