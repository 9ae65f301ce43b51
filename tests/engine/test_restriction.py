"""Restriction (GDPR Art. 18): restricted records are only stored."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lawful.engine.access import run_access
from lawful.engine.erasure import run_erasure
from lawful.engine.markers import restricted_keys
from lawful.engine.models import Restriction
from lawful.engine.rectification import parse_corrections, run_rectification
from lawful.engine.restriction import RestrictionReason, RestrictionResult, run_restriction
from lawful.retention.holds import legal_holds_on
from lawful.store.crypto import Keyring

TODAY = __import__("datetime").date(2026, 11, 22)


def _restrict(
    shop: Any, sessions: sessionmaker[Session], keyring: Keyring, *, lift: bool = False
) -> RestrictionResult:
    with shop.datastores() as datastores, sessions() as session:
        result = run_restriction(
            session,
            datamap=shop.datamap,
            identity=shop.identity("email=alice@example.org"),
            datastores=datastores,
            keyring=keyring,
            reason=RestrictionReason.legal_claims,
            lift=lift,
        )
        session.commit()
    return result


def _erase(shop: Any, sessions: sessionmaker[Session], keyring: Keyring) -> Any:
    with shop.datastores() as datastores:
        return run_erasure(
            sessions,
            datamap=shop.datamap,
            identity=shop.identity("email=alice@example.org"),
            datastores=datastores,
            keyring=keyring,
            today=TODAY,
            holds=legal_holds_on,
        )


def test_every_record_of_the_person_gets_a_blind_marker(
    sqlite_shop: Any, sessions: sessionmaker[Session], keyring: Keyring, tmp_path: Any
) -> None:
    result = _restrict(sqlite_shop, sessions, keyring)
    assert (result.records, result.changed) == (15, 15)
    assert _restrict(sqlite_shop, sessions, keyring).changed == 0  # already restricted
    with sessions() as session:
        reasons = set(session.scalars(select(Restriction.reason)))
        assert reasons == {"legal_claims"}
        assert restricted_keys(session, keyring=keyring, dataset="orders", keys=[11, 12, 13]) == {
            11,
            12,
        }
    assert b"alice@example.org" not in (tmp_path / "lawful.db").read_bytes()


def test_erasure_leaves_restricted_records_stored_and_says_so(
    shop: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    _restrict(shop, sessions, keyring)
    before = shop.snapshot()
    report = _erase(shop, sessions, keyring)
    assert shop.snapshot() == before
    kept = {k["dataset"]: k for k in report.summary["kept"] if k["reason"] == "restricted"}
    assert kept["order_lines"]["records"] == 3
    assert "GDPR Art. 18" in kept["order_lines"]["why"]


def test_rectification_leaves_restricted_records_alone(
    sqlite_shop: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    _restrict(sqlite_shop, sessions, keyring)
    before = sqlite_shop.snapshot()
    with sqlite_shop.datastores() as datastores:
        report = run_rectification(
            sessions,
            datamap=sqlite_shop.datamap,
            identity=sqlite_shop.identity("email=alice@example.org"),
            corrections=parse_corrections(
                ["people.full_name=Alice Dupont"], datamap=sqlite_shop.datamap
            ),
            datastores=datastores,
            keyring=keyring,
        )
    assert report.summary["kept"][0]["dataset"] == "people"
    assert sqlite_shop.snapshot() == before


def test_the_person_still_sees_restricted_records_flagged(
    sqlite_shop: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    _restrict(sqlite_shop, sessions, keyring)
    with sqlite_shop.datastores() as datastores, sessions() as session:
        result = run_access(
            session,
            datamap=sqlite_shop.datamap,
            identity=sqlite_shop.identity("email=alice@example.org"),
            datastores=datastores,
            keyring=keyring,
        )
    orders = next(d for d in result.datasets if d.labels.dataset == "orders")
    assert orders.restricted == [True, True]


def test_once_lifted_erasure_proceeds(
    sqlite_shop: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    _restrict(sqlite_shop, sessions, keyring)
    lifted = _restrict(sqlite_shop, sessions, keyring, lift=True)
    assert lifted.changed == 15
    before = sqlite_shop.snapshot()
    _erase(sqlite_shop, sessions, keyring)
    after = sqlite_shop.snapshot()
    assert after["people"][1]["full_name"] == "(erased)"
    assert 101 not in after["order_lines"]
    assert after["people"][2] == before["people"][2]
