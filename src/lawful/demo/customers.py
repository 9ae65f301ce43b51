"""Business customers: accounts and their contacts (`crm`); contracts, invoices and payment
cards (`billing`).

Contacts of one account mostly share the account's postal address, and some payment cards
are on file for two contacts: shared data that an erasure must not take from the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

from lawful.demo.clock import MONTH, OPENED, TODAY, YEAR, day, stamp
from lawful.demo.fake import LocalePool, make_person, token
from lawful.demo.plan import FamilyContext
from lawful.demo.writer import Row

SERVICES = (
    "Inbound customer care, French",
    "Inbound customer care, Greek and English",
    "Outbound sales campaigns",
    "Technical helpdesk, level 1",
    "Email and chat support",
    "Back-office processing",
)
CONTACT_JOBS = (
    "Head of customer care",
    "Procurement manager",
    "Chief financial officer",
    "Operations director",
    "Accounts payable",
    "Customer experience lead",
)
# VAT on invoices: France 20% (CGI art. 278), Greece 24%; services to US businesses are
# outside the scope of EU VAT (Directive 2006/112/EC art. 44), hence 0.
VAT = {"FR": 0.20, "GR": 0.24, "US": 0.0}
INVOICE_EVERY = 91  # quarterly
SHARED_CARD_EVERY = 4


@dataclass
class _Ids:
    contact: int = 0
    contract: int = 0
    invoice: int = 0
    card: int = 0
    previous_card: tuple[str, str, str, str] | None = None  # holder, fingerprint, last4, expiry


@dataclass(frozen=True)
class _Account:
    account_id: int
    country: str
    company: str
    domain: str
    street: str
    postal_code: str
    city: str
    created: int
    closed: int | None

    @property
    def address(self) -> str:
        return f"{self.street}, {self.postal_code} {self.city}, {self.country}"


def generate(ctx: FamilyContext) -> None:
    rng = ctx.plan.rng("customers")
    rows = {
        "accounts": ctx.writer.rows("crm", "accounts"),
        "contacts": ctx.writer.rows("crm", "contacts"),
        "contracts": ctx.writer.rows("billing", "contracts"),
        "invoices": ctx.writer.rows("billing", "invoices"),
        "payment_cards": ctx.writer.rows("billing", "payment_cards"),
    }
    ids = _Ids()
    wanted = ctx.plan.counts["customer_contact"]
    employees = ctx.plan.counts["employee"]
    account_id = 0
    while ids.contact < wanted:
        account_id += 1
        account = _account(rng, ctx, account_id)
        rows["accounts"].append(_account_row(rng, account, employees))
        size = min(wanted - ids.contact, 1 + int(rng.random() * 6))
        contacts = _contacts(rng, ctx, rows["contacts"], ids, account, size)
        _contracts(rng, rows, ids, account, contacts)
        for contact in contacts:
            if rng.random() < 0.3:
                _payment_card(rng, rows["payment_cards"], ids, contact)
        if account_id % 64 == 0:
            ctx.writer.flush()


def _account(rng: Random, ctx: FamilyContext, account_id: int) -> _Account:
    roll = rng.random()
    country = "FR" if roll < 0.55 else "US" if roll < 0.85 else "GR"
    pool = ctx.pools.by_country[country]
    pick = int(rng.random() * len(pool.companies))
    postal_code, city = pool.places[int(rng.random() * len(pool.places))]
    street = pool.streets[int(rng.random() * len(pool.streets))]
    # The first customer signed when the books opened, so the history always reaches past
    # the 10 years invoices are kept.
    created = OPENED if account_id == 1 else OPENED + int(rng.random() * (TODAY - OPENED))
    closed = created + int(rng.random() * 10 * YEAR) if rng.random() < 0.2 else None
    return _Account(
        account_id=account_id,
        country=country,
        company=pool.companies[pick],
        domain=f"{pool.company_slugs[pick]}-{account_id}.example",
        street=street,
        postal_code=postal_code,
        city=city,
        created=created,
        closed=closed if closed is not None and closed < TODAY else None,
    )


def _account_row(rng: Random, account: _Account, employees: int) -> Row:
    vat = {"FR": "FR{:02d}{:09d}", "GR": "EL{:02d}{:07d}"}.get(account.country)
    vat_number = vat.format(rng.randrange(100), rng.randrange(10**9)) if vat else None
    return (
        account.account_id,
        f"ACC-{account.account_id:06d}",
        account.company,
        vat_number,
        f"accounts@{account.domain}",
        account.street,
        account.postal_code,
        account.city,
        account.country,
        1 + int(rng.random() * employees),
        stamp(account.created, 36_000),
        None if account.closed is None else stamp(account.closed, 36_000),
    )


def _contacts(
    rng: Random,
    ctx: FamilyContext,
    rows: list[Row],
    ids: _Ids,
    account: _Account,
    size: int,
) -> list[tuple[int, str]]:
    """Returns (contact id, full name) of the account's contacts."""
    pool: LocalePool = ctx.pools.by_country[account.country]
    offset = ctx.plan.offsets["customer_contact"]
    end = account.closed or TODAY
    made = []
    for _ in range(size):
        ids.contact += 1
        person = make_person(rng, pool, offset + ids.contact, (account.domain,))
        own = f"{person.street}, {person.postal_code} {person.city}, {person.country}"
        created = account.created + int(rng.random() * (end - account.created) / 2)
        last = created + int(rng.random() * (end - created))
        rows.append(
            (
                ids.contact,
                account.account_id,
                person.first_name,
                person.last_name,
                person.email,
                person.phone,
                rng.choice(CONTACT_JOBS),
                account.address if rng.random() < 0.7 else own,
                stamp(created, 39_600),
                stamp(last, 43_200),
            )
        )
        made.append((ids.contact, f"{person.first_name} {person.last_name}"))
    return made


def _contracts(
    rng: Random,
    rows: dict[str, list[Row]],
    ids: _Ids,
    account: _Account,
    contacts: list[tuple[int, str]],
) -> None:
    for _ in range(1 + (rng.random() < 0.3)):
        ids.contract += 1
        signed = account.created + int(rng.random() * 90)
        starts = signed + int(rng.random() * MONTH)
        ends = starts + 12 * MONTH * (1 + int(rng.random() * 3))
        signatory, _ = contacts[int(rng.random() * len(contacts))]
        fee = 100 * 500 * (10 + int(rng.random() * 150))
        rows["contracts"].append(
            (
                ids.contract,
                account.account_id,
                signatory,
                f"CT-{ids.contract:07d}",
                rng.choice(SERVICES),
                fee,
                day(signed),
                day(starts),
                day(ends),
            )
        )
        _invoices(rng, rows["invoices"], ids, account, starts, min(ends, TODAY), fee)


def _invoices(
    rng: Random, rows: list[Row], ids: _Ids, account: _Account, starts: int, until: int, fee: int
) -> None:
    amount = 3 * fee
    vat = round(amount * VAT[account.country])
    for issued in range(starts, until, INVOICE_EVERY):
        ids.invoice += 1
        paid = issued + 10 + int(rng.random() * 40)
        rows.append(
            (
                ids.invoice,
                ids.contract,
                f"INV-{day(issued)[:4]}-{ids.invoice:07d}",
                account.company,
                account.address,
                amount,
                vat,
                day(issued),
                day(issued + 30),
                day(paid) if paid < TODAY else None,
            )
        )


def _payment_card(rng: Random, rows: list[Row], ids: _Ids, contact: tuple[int, str]) -> None:
    """A card on file. Every fourth card is the one the previous card holder registered (a
    manager paying for two small accounts): one card, two customers."""
    contact_id, holder = contact
    card = ids.previous_card
    if card is not None and ids.card % SHARED_CARD_EVERY == SHARED_CARD_EVERY - 1:
        ids.previous_card = None  # shared by two contacts, never three
    else:
        expiry = f"{1 + int(rng.random() * 12):02d}/{27 + int(rng.random() * 5)}"
        card = (holder, token(rng, "fp_"), f"{rng.randrange(10_000):04d}", expiry)
        ids.previous_card = card
    ids.card += 1
    rows.append((ids.card, contact_id, *card, day(TODAY - int(rng.random() * 3 * YEAR))))
