"""A person's changes in one datastore commit together or not at all: a NOT NULL column, a
foreign key or a row count that is not the plan's rolls the whole datastore back; a dry run
sends the same statements in a rolled-back transaction and so meets the same failure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from lawful.connectors.base import Key
from lawful.engine.datastores import Datastores, registry_factory
from lawful.engine.erasure import preview_erasure, run_erasure
from lawful.engine.errors import EngineError
from lawful.engine.jobs import JobReport
from lawful.retention.holds import legal_holds_on
from lawful.store.crypto import Keyring

TODAY = __import__("datetime").date(2026, 11, 22)
ANN = "email=ann.lee@example.org"


def _erase(club: Any, sessions: sessionmaker[Session], keyring: Keyring, **kw: Any) -> JobReport:
    datastores = kw.pop("datastores", None) or club.datastores()
    with datastores:
        return run_erasure(
            sessions,
            datamap=club.datamap,
            identity=club.identity(ANN),
            datastores=datastores,
            keyring=keyring,
            today=TODAY,
            holds=legal_holds_on,
        )


def _dry_run(club: Any, sessions: sessionmaker[Session], keyring: Keyring) -> Any:
    with sessions() as session, club.datastores() as datastores:
        return preview_erasure(
            session,
            datamap=club.datamap,
            identity=club.identity(ANN),
            datastores=datastores,
            keyring=keyring,
            today=TODAY,
            holds=legal_holds_on,
            rehearse=True,
        )


def _errors(report: JobReport) -> list[str]:
    return [o.error or "" for o in report.datasets if o.status == "failed"]


def test_nullify_on_a_not_null_column_rolls_the_whole_datastore_back(
    club: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    club.remap(phone_erase="nullify")
    before = club.snapshot()
    report = _erase(club, sessions, keyring)
    assert report.status == "failed"
    assert club.snapshot() == before  # not one basket line, payment or newsletter row gone
    assert any("members" in e or "NOT NULL" in e.upper() for e in _errors(report)), report


def test_a_delete_refused_by_a_foreign_key_leaves_nobody_half_erased(
    club: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    club.remap(members_erase="delete")  # baskets and loans are masked: they still point at Ann
    before = club.snapshot()
    report = _erase(club, sessions, keyring)
    assert report.status == "failed"
    assert club.snapshot() == before


@pytest.mark.parametrize("choice", [{"phone_erase": "nullify"}, {"members_erase": "delete"}])
def test_a_dry_run_meets_the_failure_the_real_run_would_meet_and_changes_nothing(
    club: Any, sessions: sessionmaker[Session], keyring: Keyring, choice: dict[str, str]
) -> None:
    club.remap(**choice)
    before = club.snapshot()
    with pytest.raises(EngineError, match="the real run would fail"):
        _dry_run(club, sessions, keyring)
    assert club.snapshot() == before


def test_a_dry_run_that_passes_rolls_back_what_it_sent(
    club: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    before = club.snapshot()
    preview = _dry_run(club, sessions, keyring)
    assert preview.summary()["rehearsed"] == ["club"]
    assert club.snapshot() == before
    assert _erase(club, sessions, keyring).status == "done"


class _LosesADelete:
    """The real connector, except that one key of each newsletter delete never reaches it
    (as if another process deleted or re-keyed that row since the plan)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def delete(self, table: str, *, key: Key, keys: Sequence[Any]) -> int:
        kept = list(keys)[1:] if table == "newsletter" else list(keys)
        deleted: int = self.inner.delete(table, key=key, keys=kept)
        return deleted


def test_a_statement_touching_fewer_rows_than_planned_rolls_back_and_says_how_many(
    club: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    before = club.snapshot()
    opened = registry_factory(club.datamap, base_dir=club.base_dir, environ=club.environ)
    report = _erase(
        club, sessions, keyring, datastores=Datastores(lambda s: _LosesADelete(opened(s)))
    )
    assert report.status == "failed"
    assert club.snapshot() == before
    assert any(
        "expected 2 row(s) to be deleted, the store deleted 1" in e for e in _errors(report)
    ), report
