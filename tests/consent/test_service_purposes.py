"""Service communications (account, security, contract notices): a channel opt-out, an
objection to marketing or an erasure's suppression never stops them; the preference center
shows them as not switchable; `lawful check` refuses one that rests on consent (L036)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from lawful.consent.audience import filter_audience
from lawful.consent.models import ConsentState
from lawful.consent.preferences import preference_view
from lawful.consent.service import (
    ConsentEntry,
    check_consent,
    object_to_marketing,
    record_consent,
)
from lawful.datamap.checks import check_datamap
from lawful.datamap.loader import load_datamap
from lawful.datamap.models import DataMap
from lawful.store.crypto import Keyring

from .conftest import NOW, SHOP

ANN = "email:ann@example.org"


def opt_out_of_email(db: Session, shop: DataMap, keyring: Keyring) -> None:
    entry = ConsentEntry(
        subject=ANN,
        state=ConsentState.withdrawn,
        channel="web_form",
        method="preference_center",
        contact_channel="email",
    )
    record_consent(db, datamap=shop, keyring=keyring, entry=entry, actor="subject", now=NOW)


def ask(db: Session, shop: DataMap, keyring: Keyring, purpose: str, channel: str = "email") -> str:
    decision = check_consent(
        db,
        datamap=shop,
        keyring=keyring,
        subject=ANN,
        purpose=purpose,
        channel=channel,
        now=NOW + timedelta(minutes=1),
    )
    assert decision.allowed == (decision.reason == "service_communication") or (
        decision.reason in ("consent_given", "legal_basis")
    )
    return decision.reason


def test_a_channel_opt_out_stops_marketing_but_not_a_service_purpose(
    db: Session, shop: DataMap, keyring: Keyring
) -> None:
    opt_out_of_email(db, shop, keyring)
    assert ask(db, shop, keyring, "newsletter") == "channel_opted_out"
    decision = check_consent(
        db, datamap=shop, keyring=keyring, subject=ANN, purpose="account", channel="email", now=NOW
    )
    assert (decision.allowed, decision.reason) == (True, "service_communication")
    assert decision.message.startswith("service communication")
    # A contract purpose that is not a service communication still obeys the opt-out.
    assert ask(db, shop, keyring, "orders") == "channel_opted_out"


def test_an_objection_to_marketing_and_a_suppression_leave_service_mail_alone(
    db: Session, shop: DataMap, keyring: Keyring
) -> None:
    object_to_marketing(
        db, datamap=shop, keyring=keyring, subject=ANN, channel="email", actor="staff:1", now=NOW
    )
    assert ask(db, shop, keyring, "newsletter") == "suppressed"
    assert ask(db, shop, keyring, "account") == "service_communication"
    assert ask(db, shop, keyring, "account", channel="sms") == "service_communication"


def test_a_service_purpose_on_an_undeclared_channel_is_still_refused(
    db: Session, shop: DataMap, keyring: Keyring
) -> None:
    assert ask(db, shop, keyring, "account", channel="phone") == "channel_not_declared"


def test_the_audience_filter_agrees_with_the_check(
    db: Session, shop: DataMap, keyring: Keyring
) -> None:
    opt_out_of_email(db, shop, keyring)
    kept = filter_audience(
        db,
        datamap=shop,
        keyring=keyring,
        purpose="account",
        channel="email",
        contacts=[{"email": "ann@example.org"}, {"email": "bob@example.org"}],
        now=NOW + timedelta(minutes=1),
    )
    assert kept.allowed == [0, 1]


def test_the_preference_center_shows_service_purposes_as_not_switchable(
    db: Session, shop: DataMap, keyring: Keyring
) -> None:
    opt_out_of_email(db, shop, keyring)
    view = preference_view(db, datamap=shop, keyring=keyring, subject=ANN, now=NOW)
    assert [n.label for n in view.service] == [
        "Account and security notices — Email",
        "Account and security notices — Text messages (SMS)",
    ]
    assert "switching a channel off does not stop them" in view.service[0].why
    assert not [t for t in view.purposes if t.key.startswith("purpose:account:")]


def test_check_refuses_a_service_purpose_resting_on_consent(tmp_path: Path) -> None:
    text = SHOP.read_text(encoding="utf-8")
    bad = text.replace(
        "    legal_basis: contract\n    service: true\n",
        "    legal_basis: consent\n    service: true\n    direct_marketing: true\n"
        "    consent: {capture: [web_form]}\n",
    )
    assert bad != text
    path = tmp_path / "shop.yaml"
    path.write_text(bad, encoding="utf-8")
    problems = [p for p in check_datamap(load_datamap(path)) if p.code == "L036"]
    lines = bad.splitlines()
    account = lines.index("  account:")
    basis_line = lines.index("    legal_basis: consent", account) + 1
    service_line = lines.index("    service: true", account) + 1
    found = {(p.position.line, p.position.col) for p in problems if p.position is not None}
    assert found == {(basis_line, 18), (service_line, 14)}
    assert any("rests on `consent`" in p.message for p in problems)
    assert any("marketing" in p.message for p in problems)
    assert all(
        str(p.position).startswith(str(path)) or "shop.yaml:" in str(p.position) for p in problems
    )


def test_the_example_map_has_a_clean_service_purpose() -> None:
    example = Path(__file__).parents[2] / "examples" / "contact-center" / "lawful.yaml"
    loaded = load_datamap(example)
    service = [p for p, purpose in loaded.datamap.purposes.items() if purpose.service]
    assert service == ["account_notices"]
    assert not [p for p in check_datamap(loaded) if p.code == "L036"]
