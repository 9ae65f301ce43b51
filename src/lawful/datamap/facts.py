"""Facts the generated documents share, derived once from the data map.

The RoPA (GDPR Art. 30) and the privacy notice (Art. 13–14, CCPA §1798.100–.130) say the
same things to different readers: which data about whom, why, to whom, where, for how long.
Every derivation lives here so the two documents can never disagree; it sits with the map
(below the domains) so the engine, consent and retention read the same facts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lawful import formats
from lawful.datamap.models import (
    DURATION_RE,
    Address,
    Contact,
    DataMap,
    Dataset,
    LegalBasis,
    Purpose,
    Recipient,
    RecipientRole,
    RetentionAction,
    RetentionRule,
    Sensitivity,
    TransferMechanism,
)
from lawful.datamap.taxonomy import (
    Term,
    all_categories,
    criminal_conditions,
    legal_bases,
    special_conditions,
    subject_types,
)
from lawful.law.transfers import VALID_MECHANISMS, in_eea, is_adequate

US = "us"
NOT_DECLARED = "(not declared in the data map)"

_MECHANISMS = {
    TransferMechanism.adequacy: "adequacy decision (GDPR Art. 45)",
    TransferMechanism.dpf: "EU-US Data Privacy Framework (GDPR Art. 45, decision of 10 July 2023)",
    TransferMechanism.scc: "standard contractual clauses (GDPR Art. 46(2)(c))",
    TransferMechanism.bcr: "binding corporate rules (GDPR Art. 47)",
    TransferMechanism.derogation: "derogation for a specific situation (GDPR Art. 49)",
    TransferMechanism.privacy_shield: "EU-US Privacy Shield",
    TransferMechanism.none: "no safeguard",
}

_ROLES = {
    RecipientRole.processor: "processor",
    RecipientRole.sub_processor: "sub-processor",
    RecipientRole.controller: "independent controller",
    RecipientRole.joint_controller: "joint controller",
    RecipientRole.authority: "public authority",
    RecipientRole.partner: "partner",
    RecipientRole.client: "client",
    RecipientRole.affiliate: "affiliate (company of our group)",
    RecipientRole.acquirer: "buyer or successor in a merger or acquisition",
}

_ACTIONS = {
    RetentionAction.delete: "deleted",
    RetentionAction.anonymize: "anonymised",
    RetentionAction.isolate: "set aside in restricted storage",
}

_SENSITIVITY = {
    Sensitivity.special: "special category, GDPR Art. 9",
    Sensitivity.criminal: "criminal-offence data, GDPR Art. 10",
    Sensitivity.sensitive_pi: "sensitive personal information, CCPA §1798.140(ae)",
}

_UNITS = ("year", "month", "week", "day")


# --- words -------------------------------------------------------------------------------------


def human_duration(period: str) -> str:
    """An ISO 8601 period in words: P3Y → "3 years", P1Y6M → "1 year and 6 months"."""
    match = DURATION_RE.match(period)
    if match is None:
        return period
    parts = [
        f"{int(count)} {unit}{'' if int(count) == 1 else 's'}"
        for count, unit in zip(match.groups(), _UNITS, strict=True)
        if count is not None
    ]
    return join_words(parts)


def join_words(items: list[str]) -> str:
    """["a", "b", "c"] → "a, b and c"."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def sentence(text: str) -> str:
    """Text ending in exactly one full stop (or the ! or ? it already has)."""
    text = text.strip()
    return text if text.endswith(("!", "?")) else text.rstrip(".") + "."


def capitalised(text: str) -> str:
    """The text with its first letter in upper case, the rest untouched."""
    return text[:1].upper() + text[1:]


def words(identifier: str) -> str:
    """An id or event name in words: `last_contact` → "last contact"."""
    return identifier.replace("_", " ").replace(".", " ")


def unique(items: Iterable[str]) -> list[str]:
    """Items in first-seen order, without repeats."""
    return list(dict.fromkeys(items))


def dial(phone: str) -> str:
    """A phone number as a `tel:` link wants it: digits and a leading plus."""
    return "".join(c for c in phone if c.isdigit() or c == "+")


def address_line(address: Address | None) -> str | None:
    return address.one_line() if address else None


def contact_lines(contact: Contact | None) -> list[str]:
    """A contact as lines (name, email, phone, address, web), empty when there is none."""
    if contact is None:
        return []
    values = (contact.name, contact.email, contact.phone, address_line(contact.address))
    return [value for value in (*values, contact.url) if value]


_DPO_TITLES = {"data protection officer", "dpo", "the data protection officer"}


def dpo_lines(contact: Contact | None) -> list[str]:
    """The DPO's contact lines after a "Data protection officer:" label: the name only when
    it is a person's, not the title again (GDPR Art. 37(7): the contact details are what
    must be published)."""
    lines = contact_lines(contact)
    if contact is not None and contact.name and contact.name.strip().lower() in _DPO_TITLES:
        lines.remove(contact.name)
    return lines


# --- names of things ---------------------------------------------------------------------------


def category_name(datamap: DataMap, category_id: str) -> str:
    category = all_categories(datamap).get(category_id)
    return category.name if category else words(category_id)


def category_label(datamap: DataMap, category_id: str) -> str:
    """The category's name, marked when the law treats it apart (special, criminal, SPI)."""
    category = all_categories(datamap).get(category_id)
    marker = _SENSITIVITY.get(category.sensitivity) if category else None
    name = category_name(datamap, category_id)
    return f"{name} ({marker})" if marker else name


def sensitivity(datamap: DataMap, category_id: str) -> Sensitivity:
    category = all_categories(datamap).get(category_id)
    return category.sensitivity if category else Sensitivity.ordinary


def subject_name(datamap: DataMap, subject_id: str) -> str:
    subject = datamap.subjects.get(subject_id)
    return subject.name if subject else words(subject_id)


def purpose_name(datamap: DataMap, purpose_id: str) -> str:
    purpose = datamap.purposes.get(purpose_id)
    return purpose.name if purpose else words(purpose_id)


def recipient_name(datamap: DataMap, recipient_id: str) -> str:
    recipient = datamap.recipients.get(recipient_id)
    return recipient.name if recipient else words(recipient_id)


def role_name(role: RecipientRole) -> str:
    return _ROLES[role]


def legal_basis_name(basis: LegalBasis | None) -> str:
    """The Art. 6(1) basis in words with its article, e.g. "Consent (GDPR Art. 6(1)(a))"."""
    if basis is None:
        return NOT_DECLARED
    term = legal_bases().get(basis.value)
    if term is None:
        return words(basis.value).capitalize()
    return f"{term.name} ({term.article})" if term.article else term.name


def special_condition_name(condition: str) -> str:
    """The Art. 9(2) condition in words with its article."""
    return _term_name(special_conditions(), condition)


def criminal_condition_name(condition: str) -> str:
    """The Art. 10 authorisation in words with its article."""
    return _term_name(criminal_conditions(), condition)


def _term_name(terms: dict[str, Term], key: str) -> str:
    term = terms.get(key)
    if term is None:
        return words(key)
    return f"{term.name} ({term.article})" if term.article else term.name


# --- what each purpose covers ------------------------------------------------------------------


def controlled_by_us(datamap: DataMap) -> dict[str, Purpose]:
    """The purposes we decide on as controller (GDPR Art. 4(7))."""
    return {pid: p for pid, p in datamap.purposes.items() if p.controller == US}


def purpose_datasets(datamap: DataMap, purpose_id: str) -> dict[str, Dataset]:
    return {did: d for did, d in datamap.datasets.items() if purpose_id in d.purposes}


def purpose_subjects(datamap: DataMap, purpose_id: str) -> list[str]:
    """Subjects the purpose names, then those of the datasets used for it."""
    declared = datamap.purposes[purpose_id].subjects
    used = [d.subject for d in purpose_datasets(datamap, purpose_id).values()]
    return unique([*declared, *used])


def purpose_categories(datamap: DataMap, purpose_id: str) -> list[str]:
    """Categories the purpose names, then those of the fields of datasets used for it."""
    declared = datamap.purposes[purpose_id].categories
    used = [
        field.category
        for dataset in purpose_datasets(datamap, purpose_id).values()
        for field in dataset.fields.values()
    ]
    return unique([*declared, *used])


def purpose_recipients(datamap: DataMap, purpose_id: str) -> list[str]:
    """Recipients the purpose names, those that name the purpose, and the vendors hosting
    the systems its datasets live in (a host receives the data too)."""
    declared = datamap.purposes[purpose_id].recipients
    naming = [rid for rid, r in datamap.recipients.items() if purpose_id in r.purposes]
    hosts = _vendors(datamap, purpose_datasets(datamap, purpose_id).values())
    return unique(rid for rid in [*declared, *naming, *hosts] if rid in datamap.recipients)


def _vendors(datamap: DataMap, datasets: Iterable[Dataset]) -> list[str]:
    systems = (datamap.systems.get(d.system) for d in datasets)
    return [s.vendor for s in systems if s is not None and s.vendor is not None]


def recipient_purposes(datamap: DataMap, recipient_id: str) -> list[str]:
    """Purposes a recipient serves, from both sides of the link."""
    return [pid for pid in datamap.purposes if recipient_id in purpose_recipients(datamap, pid)]


def recipient_categories(datamap: DataMap, recipient_id: str) -> list[str]:
    """Categories disclosed to a recipient: as declared, else all those of its purposes."""
    declared = datamap.recipients[recipient_id].categories
    if declared:
        return list(declared)
    purposes = recipient_purposes(datamap, recipient_id)
    return unique(c for pid in purposes for c in purpose_categories(datamap, pid))


def serves_us(datamap: DataMap, recipient_id: str) -> bool:
    """Whether the recipient receives data we control (or is tied to no purpose at all)."""
    purposes = recipient_purposes(datamap, recipient_id)
    return not purposes or any(datamap.purposes[pid].controller == US for pid in purposes)


def is_legitimate_interest(purpose: Purpose) -> bool:
    return purpose.legal_basis is LegalBasis.legitimate_interests


# --- international transfers (GDPR Chapter V) --------------------------------------------------


@dataclass(frozen=True)
class TransferFact:
    """Data leaving the EEA: to whom, where, on which safeguard, and whether it holds."""

    to: str
    country: str
    mechanism: str
    safeguard: str
    valid: bool
    problem: str | None = None
    note: str | None = None

    def __str__(self) -> str:
        text = f"{self.to} ({self.country}): {self.safeguard}"
        if self.note:
            text += f" — {self.note}"
        if not self.valid:
            text += f" — INVALID: {self.problem}"
        return text


def recipient_transfer(recipient: Recipient) -> TransferFact | None:
    """The transfer a recipient outside the EEA implies, or None inside the EEA (Art. 44)."""
    return _transfer(
        to=recipient.name,
        country=recipient.country,
        mechanism=recipient.transfer.mechanism if recipient.transfer else None,
        note=recipient.transfer.note if recipient.transfer else None,
    )


def system_transfer(datamap: DataMap, system_id: str) -> TransferFact | None:
    """Storage outside the EEA is a transfer too: to the hosting vendor, on its safeguard."""
    system = datamap.systems.get(system_id)
    if system is None or in_eea(system.location):
        return None
    vendor = datamap.recipients.get(system.vendor or "")
    host = f"{system.name}, hosted by {vendor.name}" if vendor else f"{system.name} (storage)"
    transfer = vendor.transfer if vendor else None
    return _transfer(
        to=host,
        country=system.location,
        mechanism=transfer.mechanism if transfer else None,
        note=transfer.note if transfer else None,
    )


def _transfer(
    *, to: str, country: str, mechanism: TransferMechanism | None, note: str | None
) -> TransferFact | None:
    if in_eea(country):
        return None
    if mechanism is None:
        mechanism = TransferMechanism.adequacy if is_adequate(country) else TransferMechanism.none
    problem = _mechanism_problem(mechanism, country)
    return TransferFact(
        to=to,
        country=country,
        mechanism=mechanism.value,
        safeguard=_MECHANISMS[mechanism],
        valid=problem is None,
        problem=problem,
        note=note,
    )


def _mechanism_problem(mechanism: TransferMechanism, country: str) -> str | None:
    """Why a mechanism does not cover a transfer to `country`, or None when it does."""
    if mechanism is TransferMechanism.privacy_shield:
        return "Privacy Shield was invalidated on 16 July 2020 (CJEU C-311/18)"
    if mechanism not in VALID_MECHANISMS:
        return "no safeguard declared for a country without adequacy (GDPR Art. 44)"
    if mechanism is TransferMechanism.adequacy and not is_adequate(country):
        return f"no adequacy decision covers {formats.country(country)} (GDPR Art. 45)"
    if mechanism is TransferMechanism.dpf and country != "US":
        return f"the Data Privacy Framework covers only the United States, not {formats.country(country)}"
    return None


def transfers_for(
    datamap: DataMap, *, recipients: Iterable[str], datasets: Iterable[Dataset]
) -> list[TransferFact]:
    """Transfers out of the EEA by the given recipients and by the systems holding the
    datasets (a system whose vendor is among the recipients is that vendor's transfer)."""
    counted = unique(recipients)
    found = [recipient_transfer(datamap.recipients[rid]) for rid in counted]
    systems = unique(d.system for d in datasets)
    found += [
        system_transfer(datamap, sid)
        for sid in systems
        if sid in datamap.systems and datamap.systems[sid].vendor not in counted
    ]
    return list({(t.to, t.country, t.mechanism): t for t in found if t is not None}.values())


def purpose_transfers(datamap: DataMap, purpose_id: str) -> list[TransferFact]:
    return transfers_for(
        datamap,
        recipients=purpose_recipients(datamap, purpose_id),
        datasets=purpose_datasets(datamap, purpose_id).values(),
    )


# --- retention (GDPR Art. 5(1)(e), 13(2)(a), 30(1)(f)) -----------------------------------------


def rule_datasets(datamap: DataMap, rule: RetentionRule) -> dict[str, Dataset]:
    return {did: d for did, d in datamap.datasets.items() if rule.applies_to.covers(did, d)}


def purpose_retention(datamap: DataMap, purpose_id: str) -> dict[str, RetentionRule]:
    """Rules that set a time limit on data used for the purpose: those covering one of its
    datasets, or naming the purpose itself."""
    datasets = purpose_datasets(datamap, purpose_id)
    return {
        rid: rule
        for rid, rule in datamap.retention.items()
        if purpose_id in rule.applies_to.purposes
        or any(rule.applies_to.covers(did, d) for did, d in datasets.items())
    }


def rule_concerns_us(datamap: DataMap, rule: RetentionRule) -> bool:
    """Whether a rule applies to data we control (rules only about clients' data do not)."""
    covered = rule_datasets(datamap, rule)
    if covered:
        return any(d.controller == US for d in covered.values())
    return not rule.applies_to.purposes or any(
        datamap.purposes[pid].controller == US
        for pid in rule.applies_to.purposes
        if pid in datamap.purposes
    )


def retention_scope(datamap: DataMap, rule: RetentionRule) -> str:
    """What a rule covers, in words: its description, else its scope; no final full stop."""
    if rule.description:
        return capitalised(rule.description.strip().rstrip("."))
    scope = rule.applies_to
    parts = [
        *(
            datamap.datasets[d].description or words(d)
            for d in scope.datasets
            if d in datamap.datasets
        ),
        *(subject_name(datamap, s) for s in scope.subjects),
        *(category_name(datamap, c) for c in scope.categories),
        *(purpose_name(datamap, p) for p in scope.purposes),
    ]
    return capitalised(join_words(parts)) or NOT_DECLARED


def retention_period(rule: RetentionRule) -> str:
    """How long, from when: "3 years, counted from last contact"."""
    return f"{human_duration(rule.period)}, counted from {words(rule.start)}"


def retention_end(rule: RetentionRule) -> str:
    return _ACTIONS[rule.action]


def retention_limit(datamap: DataMap, rule: RetentionRule) -> str:
    """One line for a record: scope, period, what happens, and the legal ground if any."""
    text = f"{retention_scope(datamap, rule)}: {retention_period(rule)}, then {retention_end(rule)}"
    if rule.citation:
        text += f" ({rule.citation})"
    return text


# --- people (GDPR Art. 13(1), 14(1)(d), 14(2)(f)) ----------------------------------------------


def our_datasets(datamap: DataMap) -> dict[str, Dataset]:
    """Datasets we control; those held for clients are theirs to describe."""
    return {did: d for did, d in datamap.datasets.items() if d.controller == US}


def our_subjects(datamap: DataMap) -> list[str]:
    """Kinds of people whose data we control, in map order."""
    used = {d.subject for d in our_datasets(datamap).values()}
    used |= {s for p in controlled_by_us(datamap).values() for s in p.subjects}
    return [sid for sid in datamap.subjects if sid in used]


def subject_categories(datamap: DataMap, subject_id: str) -> list[str]:
    """Categories we hold about a kind of person: fields of their datasets, then those of the
    purposes that name them."""
    held = [
        f.category
        for d in our_datasets(datamap).values()
        if d.subject == subject_id
        for f in d.fields.values()
    ]
    named = [
        c
        for p in controlled_by_us(datamap).values()
        if subject_id in p.subjects
        for c in p.categories
    ]
    return unique([*held, *named])


def subject_sources(datamap: DataMap, subject_id: str) -> list[str]:
    """Where their data comes from: the subject's sources, then those of their datasets."""
    subject = datamap.subjects[subject_id]
    held = [
        d.source for d in our_datasets(datamap).values() if d.subject == subject_id and d.source
    ]
    return unique([*subject.sources, *held])


def minimum_age(datamap: DataMap, subject_id: str) -> int | None:
    """The subject's declared minimum age, else the default of its taxonomy type."""
    subject = datamap.subjects[subject_id]
    if subject.minimum_age is not None:
        return subject.minimum_age
    term = subject_types().get(subject.type or "")
    return term.default_minimum_age if term else None


# --- CCPA categories (Cal. Civ. Code §1798.140(v)(1)) ------------------------------------------


def ccpa_category(datamap: DataMap, category_id: str) -> str | None:
    """The CCPA category of a data category, inherited from its nearest parent if unset."""
    categories = all_categories(datamap)
    parts = category_id.split(".")
    for end in range(len(parts), 0, -1):
        found = categories.get(".".join(parts[:end]))
        if found is not None and found.ccpa:
            return found.ccpa
    return None


def is_sensitive_pi(datamap: DataMap, category_id: str) -> bool:
    """CPRA sensitive personal information (§1798.140(ae)); GDPR special categories are too."""
    return ccpa_category(datamap, category_id) == "sensitive_pi" or sensitivity(
        datamap, category_id
    ) in (Sensitivity.special, Sensitivity.sensitive_pi)
