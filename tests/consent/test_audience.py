"""Filtering an audience applies consent, preferences, objections and the suppression list,
and always agrees with the single check."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lawful.consent.audience import filter_audience, hmac_digests
from lawful.consent.errors import ConsentInputError
from lawful.consent.models import ConsentEvent, ConsentState
from lawful.consent.service import ConsentEntry, check_consent, object_to_marketing, record_consent
from lawful.datamap.models import DataMap
from lawful.engine.erasure import suppression_entries
from lawful.engine.repository import add_suppressions
from lawful.store.crypto import Keyring

from .conftest import NOW


def record(
    db: Session,
    shop: DataMap,
    keyring: Keyring,
    subject: str,
    state: ConsentState,
    at: timedelta,
    **fields: Any,
) -> None:
    entry = ConsentEntry(
        subject=subject, state=state, channel="web_form", method="checkbox", **fields
    )
    record_consent(db, datamap=shop, keyring=keyring, entry=entry, actor="staff:1", now=NOW + at)


def test_the_filter_keeps_only_those_who_may_be_emailed_and_counts_the_others(
    db: Session, shop: DataMap, keyring: Keyring
) -> None:
    record(
        db,
        shop,
        keyring,
        "email:ann@example.org",
        ConsentState.given,
        timedelta(0),
        purposes=("newsletter",),
    )
    record(
        db,
        shop,
        keyring,
        "email:bob@example.org",
        ConsentState.given,
        timedelta(0),
        purposes=("newsletter",),
    )
    record(
        db,
        shop,
        keyring,
        "email:bob@example.org",
        ConsentState.withdrawn,
        timedelta(1),
        purposes=("newsletter",),
    )
    record(
        db,
        shop,
        keyring,
        "email:cy@example.org",
        ConsentState.given,
        timedelta(0),
        purposes=("newsletter",),
    )
    # Cy was erased since: the engine put her on the suppression list, the ledger says nothing
    add_suppressions(db, entries=suppression_entries(keyring, [("email", "cy@example.org")]))
    contacts = [
        {"email": "ANN@example.org", "name": "kept as given"},
        {"email": "bob@example.org"},
        {"email": "cy@example.org"},
        {"email": "dee@example.org"},
        {"phone": "+33612345678"},
    ]
    result = filter_audience(
        db,
        datamap=shop,
        keyring=keyring,
        contacts=contacts,
        purpose="newsletter",
        channel="email",
        now=NOW + timedelta(3),
    )
    assert result.allowed == [0]
    assert result.excluded == {
        "withdrawn": 1,
        "suppressed": 1,
        "no_consent": 1,
        "no_address_for_channel": 1,
    }


def test_one_malformed_contact_refuses_the_whole_list_naming_each_position(
    db: Session, shop: DataMap, keyring: Keyring
) -> None:
    contacts: list[Any] = [
        {"email": "ok@example.org"},
        {"email": "nope"},
        {"name": "no identity"},
        "text",
    ]
    with pytest.raises(ConsentInputError) as caught:
        filter_audience(
            db,
            datamap=shop,
            keyring=keyring,
            contacts=contacts,
            purpose="newsletter",
            channel="email",
            now=NOW,
        )
    message = caught.value.message
    assert message.startswith("3 malformed contact(s), nothing was filtered")
    assert "contact 1:" in message
    assert "contact 2: no identity" in message
    assert "contact 3:" in message
    assert db.scalar(select(func.count()).select_from(ConsentEvent)) == 0


def test_an_unknown_purpose_or_channel_is_refused(
    db: Session, shop: DataMap, keyring: Keyring
) -> None:
    with pytest.raises(ConsentInputError, match="unknown purpose"):
        filter_audience(
            db, datamap=shop, keyring=keyring, contacts=[], purpose="x", channel="email"
        )
    with pytest.raises(ConsentInputError, match="unknown channel 'pigeon'"):
        filter_audience(
            db, datamap=shop, keyring=keyring, contacts=[], purpose="newsletter", channel="pigeon"
        )


@pytest.mark.parametrize(
    ("purpose", "channel"), [("newsletter", "email"), ("newsletter", "sms"), ("calls", "phone")]
)
def test_the_filter_and_the_single_check_never_disagree(
    db: Session, shop: DataMap, keyring: Keyring, purpose: str, channel: str
) -> None:
    rng = random.Random(7)
    people = [(f"email:p{i}@example.org", f"phone:+3361234{i:04d}") for i in range(40)]
    states = list(ConsentState)
    for step in range(120):
        email, phone = rng.choice(people)
        subject = rng.choice([email, phone])
        scope: dict[str, Any] = rng.choice(
            [
                {"purposes": (purpose,)},
                {"purposes": (purpose,), "contact_channel": channel},
                {"contact_channel": channel},
            ]
        )
        record(db, shop, keyring, subject, rng.choice(states), timedelta(minutes=step), **scope)
    object_to_marketing(
        db,
        datamap=shop,
        keyring=keyring,
        subject=people[3][1],
        channel="api",
        actor="staff:1",
        now=NOW + timedelta(hours=5),
    )
    moment = NOW + timedelta(hours=6)
    subjects = [s for pair in people for s in pair]
    contacts = [{s.split(":")[0]: s.split(":")[1]} for s in subjects]
    result = filter_audience(
        db,
        datamap=shop,
        keyring=keyring,
        contacts=contacts,
        purpose=purpose,
        channel=channel,
        now=moment,
    )
    reachable = "email" if channel == "email" else "phone"
    for position, subject in enumerate(subjects):
        decision = check_consent(
            db,
            datamap=shop,
            keyring=keyring,
            subject=subject,
            purpose=purpose,
            channel=channel,
            now=moment,
        )
        expected = decision.allowed and subject.startswith(reachable)
        assert (position in result.allowed) == expected, (subject, decision.reason)


def test_a_contact_with_two_identities_follows_the_latest_choice_made_under_either(
    db: Session, shop: DataMap, keyring: Keyring
) -> None:
    record(
        db,
        shop,
        keyring,
        "email:eve@example.org",
        ConsentState.given,
        timedelta(0),
        purposes=("newsletter",),
    )
    record(
        db,
        shop,
        keyring,
        "phone:+33611112222",
        ConsentState.withdrawn,
        timedelta(1),
        purposes=("newsletter",),
    )
    contacts = [
        {"email": "eve@example.org", "mobile": "+33611112222"},
        {"email": "eve@example.org"},
    ]
    result = filter_audience(
        db,
        datamap=shop,
        keyring=keyring,
        contacts=contacts,
        purpose="newsletter",
        channel="email",
        now=NOW + timedelta(2),
    )
    assert result.allowed == [1]
    assert result.excluded == {"withdrawn": 1}


def test_an_objection_counts_as_a_withdrawal_before_the_suppression_list_is_consulted(
    db: Session, shop: DataMap, keyring: Keyring
) -> None:
    record(
        db,
        shop,
        keyring,
        "email:dan@example.org",
        ConsentState.given,
        timedelta(0),
        purposes=("newsletter",),
    )
    object_to_marketing(
        db,
        datamap=shop,
        keyring=keyring,
        subject="email:dan@example.org",
        channel="api",
        actor="staff:1",
        now=NOW + timedelta(1),
    )
    result = filter_audience(
        db,
        datamap=shop,
        keyring=keyring,
        contacts=[{"email": "dan@example.org"}],
        purpose="newsletter",
        channel="email",
        now=NOW + timedelta(2),
    )
    assert result.allowed == []
    assert result.excluded == {"withdrawn": 1}
    calls = filter_audience(
        db,
        datamap=shop,
        keyring=keyring,
        contacts=[{"email": "dan@example.org"}],
        purpose="calls",
        channel="phone",
        now=NOW + timedelta(2),
    )
    assert calls.excluded == {"no_address_for_channel": 1}


@pytest.mark.parametrize("values", [
    ["ann@example.org"], [], ["", "b@x.io", "ΣΑΣ@παράδειγμα.gr"], ["+33612345678" * 10],
    ["two\nlines", "c@d.ef"], ["", ""], [chr(10)],
])  # fmt: skip
def test_the_fast_hmac_equals_the_keyrings(keyring: Keyring, values: list[Any]) -> None:
    for key, one in ((keyring.blind_index, keyring.index),
                     (keyring.suppression, keyring.suppression_hash)):  # fmt: skip
        expected = [bytes.fromhex(one(f"email:{v}")) for v in values]
        assert hmac_digests(key, prefix="email:", values=values) == expected


@pytest.mark.parametrize("column", [
    ["Ann@Example.org", "  bob@x.co.uk ", "ΣΑΣ@Παράδειγμα.gr", "ǅ@x.io"],
    ["a@b.c", "not-an-address"],
    ["a@b.c\nd@e.f"],
    ["a@b", "a @b.c"],
    ["x" * 330 + "@y.z"],
    ["İstanbul@Örnek.com.tr", "a.b+c@d-e.fg"],
])  # fmt: skip
def test_a_whole_column_of_addresses_is_normalised_exactly_as_one_address_is(
    column: list[Any],
) -> None:
    from lawful.consent.audience import _emails
    from lawful.engine.identity import normalise_email

    expected: list[str] | None
    try:
        expected = [normalise_email(v) for v in column]
        expected = None if max(len(v.strip()) for v in column) > 320 else expected
    except ValueError:
        expected = None
    assert _emails(column) == expected


def test_a_small_and_a_large_audience_agree_with_the_single_check_on_one_ledger(
    db: Session, shop: DataMap, keyring: Keyring
) -> None:
    """A list longer than the ledger's subjects is matched by opening their sealed identities,
    a shorter one by hashing its contacts: both must give the single check's answer."""
    rng = random.Random(11)
    people = [f"email:q{i}@example.org" for i in range(30)]
    for step in range(90):
        scope: dict[str, Any] = rng.choice(
            [{"purposes": ("newsletter",)}, {"contact_channel": "email"}]
        )
        state = rng.choice(list(ConsentState))
        record(db, shop, keyring, rng.choice(people), state, timedelta(minutes=step), **scope)
    moment = NOW + timedelta(hours=2)
    expected = {
        subject.split(":")[1]
        for subject in people
        if check_consent(db, datamap=shop, keyring=keyring, subject=subject,
                         purpose="newsletter", channel="email", now=moment).allowed
    }  # fmt: skip
    large = [{"email": s.split(":")[1].upper()} for s in people] + [
        {"email": f"nobody{i}@example.org"} for i in range(100)
    ]
    small = [{"email": s.split(":")[1]} for s in people[:4]]
    for contacts in (large, small):
        result = filter_audience(db, datamap=shop, keyring=keyring, contacts=contacts,
                                 purpose="newsletter", channel="email", now=moment)  # fmt: skip
        allowed = {str(contacts[p]["email"]).lower() for p in result.allowed}
        known = {str(c["email"]).lower() for c in contacts} & {s.split(":")[1] for s in people}
        assert allowed - known == set()  # no one without a consent is reached
        assert allowed & known == expected & known


@pytest.mark.parametrize("column", [
    ["a@b.co", "C@D.EF"],
    ["a" * 64 + "@x.io", "b@y.io"],
    ["a" * 65 + "@x.io", "b@y.io"],
    ["a@" + "b" * 63 + ".io", "c@d.io"],
    ["a@" + "b" * 64 + ".io", "c@d.io"],
    ["a@" + ("b" * 60 + ".") * 4 + "io", "c@d.io"],
    ["a@x.test", "b@y.io"],
    ["a@x.local", "b@localhost.io"],
    ["a@b--c.io", "a@-b.io"],
    ["\u212aelvin@x.io", "b@y.io"],
    [" a@b.io", "b@y.io\t"],
    ["a@b.io", "a..b@c.io"],
])  # fmt: skip
def test_a_list_of_addresses_is_normalised_exactly_as_each_address_alone(column: list[Any]) -> None:
    from lawful.engine.identity import normalise_email, normalise_emails

    try:
        expected: list[str] | str = [normalise_email(v) for v in column]
    except ValueError as error:
        expected = str(error)
    try:
        got: list[str] | str = normalise_emails(column)
    except ValueError as error:
        got = str(error)
    assert got == expected


@pytest.mark.parametrize("column", [
    ["+33612345678", "+14155550123"],
    ["+33612345678", "06 12 34 56 78"],
    ["+33612345678\n", "+33612345678"],
    ["+٣٣٦١٢٣٤٥٦٧٨", "+33612345678"],
    ["+0612345678", "+33612345678"],
    ["+3361234", "+33612345678"],
    ["+3361234567890123", "+33612345678"],
    ["tel:+33612345678", "+33 6 12 34 56 78"],
    ["+33612345678", 33612345678],
])  # fmt: skip
def test_a_column_of_phone_numbers_is_normalised_exactly_as_each_number_alone(
    shop: DataMap, column: list[Any]
) -> None:
    """Numbers already in E.164 skip the one-by-one normaliser: the answer, or the refusal
    naming each position at fault, must not change."""
    from lawful.consent.audience import _columns
    from lawful.consent.policy import policy_for
    from lawful.consent.subjects import normalise_subject

    policy = policy_for(shop)
    contacts = [{"phone": value} for value in column]
    problems = []
    expected = []
    for position, value in enumerate(column):
        try:
            if not isinstance(value, str):
                raise ConsentInputError("`phone` must be a string")
            expected.append(normalise_subject("phone", value, policy=policy).value)
        except ConsentInputError:
            problems.append(position)
    if problems:
        with pytest.raises(ConsentInputError) as refused:
            _columns(contacts, policy)
        assert [f"contact {p}:" in refused.value.message for p in problems] == [True] * len(
            problems
        )
    else:
        assert _columns(contacts, policy) == {"phone": (list(range(len(column))), expected)}
