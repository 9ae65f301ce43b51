"""A business contact asks to be erased in the privacy center; once a privacy officer has
approved and the run is done, their rows in the example databases are masked or deleted
field by field as the data map says, what the law makes us keep (contracts, invoices) is
kept, and no one else's row has changed."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from lawful.datamap.models import DataField, EraseStrategy

from .conftest import Person, Rows, Service, Staff

S = EraseStrategy
HEX_PSEUDONYM = re.compile(r"[0-9a-f]{32}")  # the keyed `hash` strategy's output
# Everything about one business contact, read straight from the CRM and billing.
CONTACT_ROWS = {
    "contacts": "contact_id = :c",
    "payment_cards": "contact_id = :c",
    "contracts": "signatory_contact_id = :c",
}
# Kept under a legal obligation (C. com. L123-22, accounting documents: 10 years).
INVOICES = "contract_id IN (SELECT contract_id FROM contracts WHERE signatory_contact_id = :c)"


def a_contact_with_cards_contracts_and_invoices(service: Service) -> tuple[int, str]:
    """(contact id, email) of a contact who signed a contract that was invoiced and has a card
    on file, whose address appears in no other dataset."""
    invoiced = service.query(
        "billing",
        "SELECT signatory_contact_id AS contact_id FROM contracts c"
        " WHERE EXISTS (SELECT 1 FROM invoices i WHERE i.contract_id = c.contract_id)",
    )
    carded = service.query("billing", "SELECT contact_id FROM payment_cards")
    wanted = {r["contact_id"] for r in invoiced} & {r["contact_id"] for r in carded}
    contacts = service.query("crm", "SELECT contact_id, email FROM contacts ORDER BY contact_id")
    rich = [c for c in contacts if c["contact_id"] in wanted]
    [email, *_] = service.held_only_in("contacts", [c["email"] for c in rich])
    return next(c["contact_id"] for c in rich if c["email"] == email), email


def contact_rows(service: Service, contact: int) -> dict[str, Rows]:
    rows = {
        dataset: service.rows(dataset, where, c=contact) for dataset, where in CONTACT_ROWS.items()
    }
    rows["invoices"] = service.rows("invoices", INVOICES, c=contact)
    return rows


def assert_erased_as_mapped(
    service: Service, dataset: str, before: dict[str, Any], after: dict[str, Any] | None
) -> None:
    """One of the person's rows after erasure: deleted, or each field per its strategy."""
    spec = service.datamap.datasets[dataset]
    if spec.erase == "delete":
        assert after is None, f"{dataset}: the row should be deleted"
        return
    assert after is not None, f"{dataset}: the row should be masked, not deleted"
    for name, field in spec.fields.items():
        structural = name == spec.primary_key or field.references is not None
        old, new = before[name], after[name]
        assert erased_as_mapped(field, old, new, structural=structural), (dataset, name, old, new)


def erased_as_mapped(field: DataField, old: Any, new: Any, *, structural: bool) -> bool:
    """Whether `new` is what the field's erase strategy makes of `old`. Undeclared fields are
    nulled, keys and references kept (docs: the erase strategies)."""
    spec = field.erase_spec()
    strategy = spec.strategy if spec else (S.keep if structural else S.nullify)
    if old is None or strategy is S.keep:
        return bool(new == old)
    if strategy is S.nullify:
        return new is None
    if strategy is S.replace_:
        return spec is not None and new == spec.value
    if strategy is S.hash:
        return bool(HEX_PSEUDONYM.fullmatch(str(new))) and str(old) not in str(new)
    if strategy is S.truncate_date:
        return str(new)[:4] == str(old)[:4] and str(new)[5:10] == "01-01"
    return bool(new != old)  # random


def test_an_erasure_masks_or_deletes_the_persons_rows_as_the_map_says_and_no_one_elses(
    service: Service,
    person: Callable[[str], Person],
    privacy_officer: Staff,
    screenshot: Callable[[Page, str], Path],
) -> None:
    contact, email = a_contact_with_cards_contracts_and_invoices(service)
    mine = contact_rows(service, contact)
    assert all(mine.values()), mine  # a row in each dataset, so each rule is tried
    before = service.snapshot()
    customer = person(email)

    reference = customer.make_request("erasure")
    customer.confirm_identity()
    privacy_officer.approve(reference)
    answer = customer.answer()
    customer.page.reload()
    expect(customer.page.locator("dl.facts")).to_contain_text("Done in part")  # invoices kept
    screenshot(customer.page, "erasure-status-page")

    after = service.snapshot()
    erased = len(mine["contacts"]) + len(mine["payment_cards"])
    assert f"We erased {erased} record(s) about you" in answer
    # The data kept, in words from the map, never its table (issue 16).
    assert (
        "- Records with your billing and payment history and postal address — kept to comply "
        "with a legal obligation" in answer
    ), answer
    assert "invoices:" not in answer
    assert "GDPR Art. 17(3)(b)" in answer
    for dataset in ("contacts", "payment_cards"):
        for key, row in mine[dataset].items():
            assert_erased_as_mapped(service, dataset, row, after[dataset].get(key))
    assert after["contacts"][contact]["email"] != email
    assert not service.rows("payment_cards", "contact_id = :c", c=contact)
    # Contracts and invoices are kept whole: the law requires them (C. com. L110-4, L123-22).
    for dataset in ("contracts", "invoices"):
        assert {key: after[dataset][key] for key in mine[dataset]} == mine[dataset], dataset
    for dataset, rows in before.items():
        others = {key: row for key, row in rows.items() if key not in mine.get(dataset, {})}
        assert {key: after[dataset].get(key) for key in others} == others, dataset
        assert set(after[dataset]) - set(rows) == set(), dataset
    assert email not in str(after)
