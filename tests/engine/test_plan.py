"""The plan: a pure function of the data map and the identity."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lawful.cli import app
from lawful.engine.plan import build_plan, change_order


def _plan(shop: Any, *pairs: str) -> Any:
    return build_plan(datamap=shop.datamap, identity=shop.identity(*pairs))


def test_datasets_are_read_breadth_first_from_the_identity(sqlite_shop: Any) -> None:
    plan = _plan(sqlite_shop, "email=alice@example.org")
    order = plan.datasets()
    assert order[0] == "people"
    assert order.index("orders") < order.index("order_lines") < order.index("shipments")
    assert {s.dataset: s.depth for s in plan.steps}["shipments"] == 3


def test_each_dataset_is_found_by_its_identity_fields_and_its_incoming_references(
    sqlite_shop: Any,
) -> None:
    plan = _plan(sqlite_shop, "email=alice@example.org")
    people = [lookup.describe() for lookup in plan.step("people").lookups]
    # The cycle: people → orders by person_id, orders → people by last_order_id.
    assert people == ["email = the person's email", "last_order_id ∈ orders.id"]
    cards = plan.step("cards").lookups
    assert [(c.fields, c.source, c.owned) for c in cards] == [(("id",), "people_cards", False)]


def test_a_phone_identity_starts_at_the_datasets_holding_phones(sqlite_shop: Any) -> None:
    plan = _plan(sqlite_shop, "phone=+33612345678")
    assert plan.step("people").lookups[0].fields == ("phone",)


def test_client_datasets_are_forwarded_and_unconnected_ones_left_to_staff(sqlite_shop: Any) -> None:
    plan = _plan(sqlite_shop, "email=alice@example.org")
    assert [(f.dataset, f.client_name, f.address) for f in plan.forwards] == [
        ("acme_tickets", "Acme Retail", "dpo@acme.example")
    ]
    assert [m.dataset for m in plan.manual] == ["paper_forms"]
    assert "acme_tickets" not in plan.datasets()
    assert "paper_forms" not in plan.datasets()


def test_changes_go_to_children_before_their_parents(sqlite_shop: Any) -> None:
    order = change_order(
        datamap=sqlite_shop.datamap, plan=_plan(sqlite_shop, "email=alice@example.org")
    )
    assert (
        order.index("shipments")
        < order.index("order_lines")
        < order.index("orders")
        < order.index("people")
    )
    assert order.index("people_cards") < order.index("cards")
    assert order.index("invoices") < order.index("orders")
    assert sorted(order) == sorted(_plan(sqlite_shop, "email=alice@example.org").datasets())


def test_the_plan_command_prints_the_order_and_touches_no_store(
    sqlite_shop: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "shop.sqlite").unlink()  # planning must not even open the database
    monkeypatch.setenv("LAWFUL_DATA_DIR", str(tmp_path / "platform"))
    result = CliRunner().invoke(
        app, ["dsr", "plan", "-m", str(sqlite_shop.map_path), "-i", "email=Alice@Example.org"]
    )
    assert result.exit_code == 0, result.output
    assert "people" in result.output
    assert "email = the person's email" in result.output
    assert "to forward to client Acme Retail" in result.output
    assert not (tmp_path / "shop.sqlite").exists()
    assert not (tmp_path / "platform").exists()
