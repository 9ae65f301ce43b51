"""The CCPA part says "sell" and "share" exactly as the map's flags do, both ways."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lawful.datamap.loader import load_datamap
from lawful.datamap.models import DataMap, RecipientRole
from lawful.reports.document import Block
from lawful.reports.notice import build_notice

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "contact-center" / "lawful.yaml"


@pytest.fixture(scope="module")
def example() -> DataMap:
    return load_datamap(EXAMPLE).datamap


def _ccpa(datamap: DataMap) -> str:
    section = next(s for s in build_notice(datamap).sections if s.id == "ccpa")
    return " ".join(_text(block) for block in section.blocks)


def _text(block: Block) -> str:
    """Every string a block holds, in order (paragraph runs, table cells, list items)."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)
        elif hasattr(value, "__dataclass_fields__"):
            for name in value.__dataclass_fields__:
                if name not in ("kind", "href"):
                    walk(getattr(value, name))

    walk(block)
    return " ".join(" ".join(found).split())


def _edit(
    datamap: DataMap,
    *,
    purposes: dict[str, dict[str, Any]] | None = None,
    recipients: dict[str, dict[str, Any]] | None = None,
) -> DataMap:
    new_purposes = dict(datamap.purposes)
    for pid, update in (purposes or {}).items():
        new_purposes[pid] = new_purposes[pid].model_copy(update=update)
    new_recipients = dict(datamap.recipients)
    for rid, update in (recipients or {}).items():
        new_recipients[rid] = new_recipients[rid].model_copy(update=update)
    return datamap.model_copy(update={"purposes": new_purposes, "recipients": new_recipients})


def test_the_example_shares_but_does_not_sell_and_says_so(example: DataMap) -> None:
    assert example.organization.sells_personal_information is False
    text = _ccpa(example)
    assert "We do not sell your personal information." in text
    assert "We sell personal information" not in text
    assert "We sell or share" not in text
    assert (
        "We share personal information for cross-context behavioural advertising with "
        "AdMosaic Inc." in text
    )


def test_a_map_that_neither_sells_nor_shares_says_we_do_not_sell_or_share(
    example: DataMap,
) -> None:
    quiet = _edit(
        example,
        purposes={"behavioural_advertising": {"sharing": False}},
        recipients={"ad_network": {"sharing": False}},
    )
    text = _ccpa(quiet)
    assert "We do not sell or share your personal information." in text
    assert "We share personal information" not in text
    assert "We sell personal information" not in text


def test_a_selling_recipient_is_named_under_sold_to(example: DataMap) -> None:
    selling = _edit(
        example, recipients={"email_platform": {"role": RecipientRole.partner, "sale": True}}
    )
    text = _ccpa(selling)
    assert "We sell personal information to Postelia SAS" in text
    assert "We do not sell your personal information." not in text
    # The table's columns follow the flags: Postelia under "Sold to", AdMosaic under "Shared".
    assert "Sold to Shared for cross-context behavioural advertising with" in text


def test_a_buyer_in_a_merger_is_never_a_sale(example: DataMap) -> None:
    # Cal. Civ. Code §1798.140(ad)(2)(C): a transfer to an acquirer is not a sale.
    merged = _edit(
        example,
        purposes={"email_marketing": {"sale": True}},
        recipients={"acquirer": {"purposes": ["email_marketing"]}},
    )
    text = _ccpa(merged)
    # The purpose sells, but to no one the map names: the buyer is not a third party buying.
    assert "We sell personal information , as the table shows." in text
    assert "We sell personal information to" not in text
