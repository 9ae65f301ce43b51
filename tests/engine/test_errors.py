"""Errors for people: each names the system and dataset, and nothing is changed."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lawful.engine.erasure import run_erasure
from lawful.engine.errors import EngineError
from lawful.engine.models import Job
from lawful.engine.retry import RetryPolicy
from lawful.retention.holds import legal_holds_on
from lawful.store.crypto import Keyring

TODAY = __import__("datetime").date(2026, 11, 22)


def _erase_error(
    shop: Any, sessions: sessionmaker[Session], keyring: Keyring, waits: list[float] | None = None
) -> str:
    policy = RetryPolicy(
        attempts=3, base=0.001, cap=0.01, sleep=(waits if waits is not None else []).append
    )
    before = shop.snapshot()
    with pytest.raises(EngineError) as caught, shop.datastores(retry=policy) as datastores:
        run_erasure(
            sessions,
            datamap=shop.datamap,
            identity=shop.identity("email=alice@example.org"),
            datastores=datastores,
            keyring=keyring,
            today=TODAY,
            holds=legal_holds_on,
        )
    assert shop.snapshot() == before
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Job)) == 0
    return str(caught.value)


def test_an_unreachable_database_is_retried_then_named_with_each_dataset(
    pg_shop: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    real = pg_shop.environ["SHOP_URL"]
    pg_shop.environ["SHOP_URL"] = "postgresql://postgres@127.0.0.1:1/nowhere"
    waits: list[float] = []
    text = _erase_error(pg_shop, sessions, keyring, waits)
    pg_shop.environ["SHOP_URL"] = real
    assert len(waits) == 2  # three attempts
    assert (
        "system `shop`, dataset `people`: cannot be read: PostgreSQL database `nowhere` on 127.0.0.1:1 is unreachable"
        in text
    )
    assert "system `shop`, dataset `shipments`: cannot be read" in text
    assert "nothing was changed" in text


def test_a_missing_env_var_names_the_variable_and_the_system(
    pg_shop: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    del pg_shop.environ["SHOP_URL"]
    text = _erase_error(pg_shop, sessions, keyring)
    assert (
        "system `shop`, dataset `people`: cannot be read: the environment variable SHOP_URL is not set"
        in text
    )


def test_a_table_missing_from_the_live_database_is_named(
    shop: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    with shop.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE shipments"))
    text = _erase_error(shop, sessions, keyring)
    assert text.splitlines() == [
        "system `shop`, dataset `shipments`: table `shipments` does not exist in the live store — "
        "create it, or fix `table:` in the data map; nothing was changed"
    ]


def test_a_column_missing_from_the_live_database_is_named(
    shop: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    with shop.engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE orders DROP COLUMN gift_for"))
    text = _erase_error(shop, sessions, keyring)
    assert (
        "system `shop`, dataset `orders`: column(s) `gift_for` missing from table `orders`" in text
    )
