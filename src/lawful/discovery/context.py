"""What a table is about colours its columns.

A column's own name and values say what it holds (lawful.discovery.classify); the table's
name says what the row is. In a table of calls, the number dialled, the direction and the
duration are the call log; in a table of payment cards, the cardholder's name is card data;
in a table of emergency contacts, the phone number is someone else's. So, per table:

- a *record* table (calls, invoices, payslips, tickets, interviews …) files its names,
  phones, emails and free text, and every column nothing else is known of, under its own
  category; what a recognizer checks (an IBAN, a card number, an IP address, a national
  number) and what a name says precisely (`ip_address`, `card_last4`) keep theirs;
- a *subject* table (employees, candidates) gives its category only to the columns
  nothing else is known of: the people's names, emails and addresses stay theirs;
- a `country` column beside a street address or postal code is part of the address, alone
  it is an approximate location.

Keys and references are left alone (the draft writes them as internal identifiers).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Collection, Mapping
from dataclasses import replace

from lawful.discovery.classify import FREE_TEXT, ColumnClass

# A word (or two words joined by `_`) of a table's name, singular → (category, record table).
TABLE_CONTEXT: dict[str, tuple[str, bool]] = {
    "invoice": ("commercial.billing", True), "receipt": ("commercial.billing", True),
    "contract": ("commercial.purchase", True), "order": ("commercial.purchase", True),
    "subscription": ("commercial.purchase", True), "purchase": ("commercial.purchase", True),
    "payment_card": ("financial.payment_card", True), "card": ("financial.payment_card", True),
    "call": ("communication.call_log", True), "call_log": ("communication.call_log", True),
    "recording": ("communication.call_recording", True),
    "ivr": ("communication.ivr_input", True),
    "screenshot": ("communication.screen_recording", True),
    "ticket": ("communication.case_history", True), "case": ("communication.case_history", True),
    "message": ("communication.message", True), "email_message": ("communication.message", True),
    "campaign": ("online_activity.email_engagement", True),
    "page_view": ("online_activity.browsing", True), "pageview": ("online_activity.browsing", True),
    "visit": ("online_activity.browsing", True), "click": ("online_activity.browsing", True),
    "payslip": ("employment.compensation", True), "payroll": ("employment.compensation", True),
    "salary": ("employment.compensation", True),
    "time_entry": ("employment.timekeeping", True), "timesheet": ("employment.timekeeping", True),
    "shift": ("employment.timekeeping", True),
    "emergency_contact": ("related_person.emergency_contact", True),
    "dependant": ("related_person.dependant", True),
    "equal_opportunity": ("equal_opportunity", True),
    "id_proof": ("identifier.government_id", True),
    "identity_document": ("identifier.government_id", True),
    "background_check": ("criminal", True),
    "interview": ("recruitment", True), "application": ("recruitment", True),
    "candidate": ("recruitment", False), "applicant": ("recruitment", False),
    "employee": ("employment.contract", False), "staff": ("employment.contract", False),
}  # fmt: skip
# What a record table files under its own category, whatever the column's name or values say.
FILED_UNDER_TABLE = frozenset({"name", "contact.phone", FREE_TEXT})
ADDRESS = "contact.postal_address"
_SPLIT = re.compile(r"[^A-Za-z]+|(?<=[a-z])(?=[A-Z])")


def singular(word: str) -> str:
    """English plural to singular, for table names (entries → entry, cases → case)."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def table_category(table: str) -> tuple[str, bool] | None:
    """(category, is a record table) the table's name suggests, or None. Two-word names
    first (`emergency_contacts` before `contacts`), then words from the last (the head noun
    of `ticket_messages` is `messages`)."""
    words = [w.lower() for w in _SPLIT.split(table) if w]
    pairs = [f"{a}_{singular(b)}" for a, b in itertools.pairwise(words)]
    for key in [*reversed(pairs), *(singular(w) for w in reversed(words))]:
        found = TABLE_CONTEXT.get(key)
        if found is not None:
            return found
    return None


def in_context(
    table: str, classes: Mapping[str, ColumnClass], keys: Collection[str]
) -> dict[str, ColumnClass]:
    """The columns' classes, settled by what the table is about (see the module)."""
    located = any(c.category == ADDRESS and not _is_country(name) for name, c in classes.items())
    context = table_category(table)
    settled = {}
    for name, found in classes.items():
        if name in keys or _key_like(name):
            settled[name] = found
            continue
        if _is_country(name) and found.category == "location.approximate" and located:
            found = replace(found, category=ADDRESS)
        settled[name] = _filed(found, context) if context else found
    return settled


def _filed(found: ColumnClass, context: tuple[str, bool]) -> ColumnClass:
    category, record = context
    if found.category is None:
        return replace(found, category=category, confidence=0.5, evidence="name")
    if record and found.category in FILED_UNDER_TABLE:
        return replace(found, category=category)
    return found


def _key_like(name: str) -> bool:
    """`agent_id`, `AgentKey`: a key of something else, whatever the table."""
    words = [w.lower() for w in _SPLIT.split(name) if w]
    return bool(words) and words[-1] in {"id", "key", "uuid", "guid"}


def _is_country(name: str) -> bool:
    return "country" in name.lower()
