"""Our clients' customers, handled on the clients' behalf (GDPR Art. 28): calls, recordings,
IVR payments, screenshots of the agent's screen, and support tickets.

Each client's data goes to its own contact-platform instance. Some customers live in the same
household: they share a postal address, and some pay with the same card.
"""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

from lawful.demo.clock import TODAY, YEAR, month_of, stamp
from lawful.demo.fake import PERSONAL_DOMAINS, Person, make_person, phone_number, token
from lawful.demo.plan import FamilyContext
from lawful.demo.writer import Row


@dataclass(frozen=True)
class ClientProfile:
    client: str
    system: str
    population: str
    country: str
    number_prefix: str
    hotline: str
    outbound_line: str
    intents: tuple[str, ...]
    payment_intents: frozenset[str]
    subjects: tuple[str, ...]
    messages: tuple[str, ...]


LUMIERE = ClientProfile(
    client="lumiere",
    system="contact_eu",
    population="lumiere_customer",
    country="FR",
    number_prefix="LUM",
    hotline="+33970000101",
    outbound_line="+33970000102",
    intents=("pay_bill", "meter_reading", "move_home", "balance", "agent"),
    payment_intents=frozenset({"pay_bill"}),
    subjects=("Bill higher than usual", "Meter reading", "Moving home", "Direct debit change"),
    messages=(
        "My last bill is much higher than the previous one, can you check the meter reading?",
        "I am moving at the end of the month and need to close my contract.",
        "Please change the bank account used for my direct debit.",
        "Thank you, we have corrected the reading and issued a new bill.",
        "We have scheduled the final reading for the day you move out.",
    ),
)
BRIGHTPATH = ClientProfile(
    client="brightpath",
    system="contact_us",
    population="brightpath_customer",
    country="US",
    number_prefix="BP",
    hotline="+18005550101",
    outbound_line="+18005550102",
    intents=("top_up", "pay_bill", "roaming", "unlock", "agent"),
    payment_intents=frozenset({"top_up", "pay_bill"}),
    subjects=("Roaming charges", "Phone unlock", "Top-up failed", "Plan change"),
    messages=(
        "I was charged for roaming although I never left the country.",
        "Can you unlock my phone? I have paid off the device.",
        "My top-up failed but the money left my account.",
        "We have refunded the roaming charges to your account.",
        "Your unlock request is approved; restart the phone with the new SIM.",
    ),
)
# Every 20th customer lives with the one before (same postal address); every 40th
# also pays with the same card, and both of that pair pay by card through the IVR at least
# once. Fixed by customer number, so even a small run has shared data to test erasure on.
HOUSEHOLD_EVERY = 20
SHARED_CARD_EVERY = 40
WRAP_UP = ("resolved", "resolved", "callback_scheduled", "transferred", "complaint_logged")
CHANNELS = ("email", "chat", "web_form", "social")


@dataclass
class _Ids:
    call: int = 0
    recording: int = 0
    transaction: int = 0
    screenshot: int = 0
    ticket: int = 0
    message: int = 0


@dataclass(frozen=True)
class _Customer:
    customer_id: int
    person: Person
    card: tuple[str, str]  # token, last four digits
    created: int


def generate_for(profile: ClientProfile, ctx: FamilyContext) -> None:
    rng = ctx.plan.rng(profile.client)
    rows = {t: ctx.writer.rows(profile.system, t) for t in _TABLES}
    ids = _Ids()
    pool = ctx.pools.by_country[profile.country]
    offset = ctx.plan.offsets[profile.population]
    previous: _Customer | None = None
    for customer_id in range(1, ctx.plan.counts[profile.population] + 1):
        person = make_person(rng, pool, offset + customer_id, PERSONAL_DOMAINS)
        card = (token(rng, "tok_"), f"{rng.randrange(10_000):04d}")
        if previous is not None and customer_id % HOUSEHOLD_EVERY == 0:
            person = _same_household(person, previous)
            if customer_id % SHARED_CARD_EVERY == 0:
                card = previous.card
        customer = _Customer(customer_id, person, card, TODAY - int(rng.random() * 8 * YEAR))
        rows["customers"].append(
            (
                customer_id,
                f"{profile.number_prefix}-{customer_id:08d}",
                *person,
                stamp(customer.created, 43_200),
            )
        )
        if (customer_id + 1) % SHARED_CARD_EVERY in (0, 1):
            _call(rng, rows, ids, ctx, profile, customer, pays_by_card=True)
        for _ in range(int(rng.random() * 4)):
            _call(rng, rows, ids, ctx, profile, customer)
        for _ in range(int(rng.random() * 2.6)):
            _ticket(rng, rows, ids, profile, customer)
        previous = customer
        if customer_id % 64 == 0:
            ctx.writer.flush()


_TABLES = (
    "customers",
    "calls",
    "call_recordings",
    "ivr_transactions",
    "agent_screenshots",
    "tickets",
    "ticket_messages",
)


def _same_household(person: Person, other: _Customer) -> Person:
    shared = other.person
    return person._replace(street=shared.street, postal_code=shared.postal_code, city=shared.city)


def _call(
    rng: Random,
    rows: dict[str, list[Row]],
    ids: _Ids,
    ctx: FamilyContext,
    profile: ClientProfile,
    customer: _Customer,
    *,
    pays_by_card: bool = False,
) -> None:
    ids.call += 1
    started = max(customer.created, TODAY - int(rng.random() * 3 * YEAR))
    second = 28_800 + int(rng.random() * 43_200)  # 08:00–20:00
    inbound = pays_by_card or rng.random() < 0.85
    if inbound:
        ani = _caller_id(rng, ctx, profile, customer, ids.call, pays_by_card=pays_by_card)
        dialed = profile.hotline
        identified = ani == customer.person.phone or rng.random() < 0.5
    else:  # we call the customer back: our line is the caller id
        ani, dialed, identified = profile.outbound_line, customer.person.phone, True
    agent = 1 + int(rng.random() * ctx.plan.counts["employee"])
    duration = 30 + int(rng.random() * 1_200)
    rows["calls"].append(
        (
            ids.call,
            customer.customer_id if identified else None,
            ani,
            dialed,
            "inbound" if inbound else "outbound",
            agent,
            stamp(started, second),
            duration,
            WRAP_UP[int(rng.random() * len(WRAP_UP))],
        )
    )
    if rng.random() < 0.7:
        _recording(rng, rows["call_recordings"], ids, profile, started, second, duration)
    if pays_by_card or (inbound and rng.random() < 0.4):
        intent = (
            min(profile.payment_intents)
            if pays_by_card
            else profile.intents[int(rng.random() * len(profile.intents))]
        )
        _ivr(rng, rows["ivr_transactions"], ids, profile, customer, (started, second), intent)
    if rng.random() < 0.1:
        ids.screenshot += 1
        rows["agent_screenshots"].append(
            (
                ids.screenshot,
                ids.call,
                agent,
                f"screens/{ids.call}/{ids.screenshot}.png",
                stamp(started, second + 60),
            )
        )


def _caller_id(
    rng: Random,
    ctx: FamilyContext,
    profile: ClientProfile,
    customer: _Customer,
    call_id: int,
    *,
    pays_by_card: bool,
) -> str | None:
    """Mostly the customer's own phone; sometimes another line; sometimes withheld."""
    roll = 0.0 if pays_by_card else rng.random()
    if roll < 0.85:
        return customer.person.phone
    if roll < 0.95:
        return phone_number(profile.country, ctx.plan.caller_number(call_id))
    return None


def _recording(
    rng: Random,
    rows: list[Row],
    ids: _Ids,
    profile: ClientProfile,
    started: int,
    second: int,
    duration: int,
) -> None:
    ids.recording += 1
    path = f"recordings/{month_of(started)}/{ids.call}.opus"
    excerpt = profile.messages[int(rng.random() * len(profile.messages))]
    rows.append((ids.recording, ids.call, path, duration, excerpt, stamp(started, second)))


def _ivr(
    rng: Random,
    rows: list[Row],
    ids: _Ids,
    profile: ClientProfile,
    customer: _Customer,
    when: tuple[int, int],
    intent: str,
) -> None:
    """Card payments are taken by the IVR, never by the agent; we keep only a token."""
    started, second = when
    paying = intent in profile.payment_intents
    card_token, last4 = customer.card if paying else (None, None)
    ids.transaction += 1
    amount = 100 * (10 + int(rng.random() * 190)) if paying else None
    outcome = "declined" if paying and rng.random() < 0.08 else "completed"
    rows.append(
        (
            ids.transaction,
            ids.call,
            intent,
            card_token,
            last4,
            amount,
            outcome,
            stamp(started, second + 20),
        )
    )


def _ticket(
    rng: Random, rows: dict[str, list[Row]], ids: _Ids, profile: ClientProfile, customer: _Customer
) -> None:
    ids.ticket += 1
    opened = max(customer.created, TODAY - int(rng.random() * 3 * YEAR))
    closed = opened + int(rng.random() * 10) if rng.random() < 0.85 else None
    subject = profile.subjects[int(rng.random() * len(profile.subjects))]
    channel = CHANNELS[int(rng.random() * len(CHANNELS))]
    if closed is not None and closed >= TODAY:
        closed = None
    rows["tickets"].append(
        (
            ids.ticket,
            customer.customer_id,
            subject,
            channel,
            "open" if closed is None else "closed",
            stamp(opened, 40_000),
            None if closed is None else stamp(closed, 60_000),
        )
    )
    for rank in range(1 + int(rng.random() * 4)):
        ids.message += 1
        body = profile.messages[(rank % 2) * 3 + int(rng.random() * (3 - rank % 2))]
        if rank == 0 and rng.random() < 0.1:
            body += f" You can call me back on {customer.person.phone}."  # personal data in text
        rows["ticket_messages"].append(
            (
                ids.message,
                ids.ticket,
                "agent" if rank % 2 else "customer",
                body,
                stamp(opened, 40_000 + 3_600 * rank),
            )
        )
