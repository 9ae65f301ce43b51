"""Every mail a person gets reads as words: no Python repr, no JSON escape, no raw id, no
table name. Real flows on the example company (an access with its package, an erasure that
keeps invoices, a denial, an extension, a cancellation), and every template rendered."""

from __future__ import annotations

import re
from typing import Any

from lawful.datamap.models import DataMap
from lawful.law.requests import RequestType
from lawful.requests.delivery import send_download_code
from lawful.requests.mail import SUBJECTS, Mail, MemoryMailer, render_mail
from lawful.requests.notices import mail_context
from lawful.requests.service import cancel_request, deny_request, extend_request

from .conftest import World
from .test_forwards import approved

TO_CLIENTS = {"client_forward"}  # mail to a company, not a person
REPRS = [
    re.compile(r"\['|\[\"|\{'|\{\""),  # a list or dict printed by Python or JSON
    re.compile(r"\bNone\b|\bTrue\b|\bFalse\b"),
    re.compile(r"datetime\(|date\(|Decimal\(|UUID\("),
    re.compile(r"\\u[0-9a-fA-F]{4}|\\n"),  # JSON escapes
    re.compile(r"\b[0-9a-f]{32}\b|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-"),  # raw ids
]
URL = re.compile(r"https?://\S+|href=\"[^\"]*\"")


def leaks(text: str, datamap: DataMap) -> list[str]:
    """What in `text` (links removed: they carry tokens) is not words for a person."""
    words = URL.sub(" ", text)
    found = [m.group(0) for pattern in REPRS for m in pattern.finditer(words)]
    for dataset_id, dataset in datamap.datasets.items():
        for name in {dataset_id, dataset.table or dataset_id}:
            # "- invoices: …" (a list item or line opened by a table) or `customer_contacts`
            if re.search(rf"(?:^|>|- )\s*{re.escape(name)}:", words, re.M) or (
                "_" in name and name in words
            ):
                found.append(name)
    return found


def _check(mails: list[Mail], datamap: DataMap) -> dict[str, list[str]]:
    return {
        f"{m.kind}/{part}": found
        for m in mails
        if m.kind not in TO_CLIENTS
        for part, text in (("text", m.text), ("html", m.html))
        if (found := leaks(text, datamap))
    }


def test_every_mail_of_real_flows_reads_as_words(sqlite_world: World) -> None:
    world = sqlite_world
    datamap = world.ctx.datamap
    _, applicant = world.candidate(offset=5)
    access = approved(world, request_type="access", email=applicant, country="FR")
    with world.session() as session:
        send_download_code(session, ctx=world.ctx, reference=access, now=world.clock.now)
    [(customer,)] = world.query(  # one of our own customers: invoices kept 10 years
        "crm", "SELECT email FROM contacts WHERE email IS NOT NULL ORDER BY contact_id LIMIT 1"
    )
    approved(world, request_type="erasure", email=customer, country="FR")
    denied = world.submit(request_type="erasure", email="den@people.example", country="FR")
    extended = world.submit(request_type="access", email="ext@people.example", country="GR")
    cancelled = world.submit(request_type="access", email="can@people.example", country="FR")
    with world.session() as session:
        deny_request(session, ctx=world.ctx, reference=denied.request.reference,
                     reason="manifestly_unfounded", actor="staff:1", note="")  # fmt: skip
        extend_request(session, ctx=world.ctx, reference=extended.request.reference, amount=2,
                       reason="Many systems to search.", actor="staff:1")  # fmt: skip
        cancel_request(session, ctx=world.ctx, reference=cancelled.request.reference,
                       actor="staff:1")  # fmt: skip
    assert isinstance(world.mailer, MemoryMailer)
    mails = world.mailer.sent
    kinds = {m.kind for m in mails}
    assert {"receipt", "verification_code", "completion", "download_code", "denial",
            "extension", "cancelled"} <= kinds, kinds  # fmt: skip
    erasure_done = [m for m in world.sent("completion") if "erased" in m.text]
    assert erasure_done
    assert _check(mails, datamap) == {}
    # The DPO once, as a label and an address, not "Data protection officer: Data protection officer".
    assert all("officer: Data protection officer" not in m.text for m in mails)
    assert all("privacy@localhost" not in m.text for m in mails)


def test_every_template_to_a_person_reads_as_words(sqlite_world: World) -> None:
    world = sqlite_world
    _, applicant = world.candidate(offset=6)
    reference = approved(world, request_type="access", email=applicant, country="FR")
    stored = world.request(reference)
    secret: dict[str, Any] = {"code": "123456"}
    facts = mail_context(world.ctx, stored, token="t" * 43, secret=secret)
    facts["extension"] = {"amount": "2 months", "reason": "Many systems to search.",
                          "previous": stored.respond_by.isoformat()}  # fmt: skip
    facts["denial"] = {"title": "Manifestly unfounded", "explanation": "It asks for nothing.",
                       "citation": "GDPR Art. 12(5)", "notice": ""}  # fmt: skip
    mails = [
        render_mail(kind, to=applicant, context=facts)
        for kind in SUBJECTS
        if kind not in TO_CLIENTS
    ]
    assert len(mails) == len(SUBJECTS) - len(TO_CLIENTS)
    # An erasure that kept invoices and contracts (datasets without a description).
    stored.request_type = RequestType.erasure
    stored.result = {"records": 5, "changed": 2, "kept_records": [
        {"dataset": "invoices", "why": "Invoices are kept 10 years (Code de commerce L123-22)",
         "until": "2035-12-31"},
        {"dataset": "contracts", "why": "Kept until claims are time-barred"},
    ]}  # fmt: skip
    erasure = mail_context(world.ctx, stored, token="t" * 43)
    mails.append(render_mail("completion", to=applicant, context=erasure))
    assert "We had to keep some data" in mails[-1].text
    assert "- Records with your " in mails[-1].text
    assert _check(mails, world.ctx.datamap) == {}


def test_the_check_itself_finds_what_it_looks_for(example_map: DataMap) -> None:
    bad = "- invoices: kept. ['a'] {'records': 6} None \\u00e8 0123456789abcdef0123456789abcdef"
    assert leaks(bad, example_map) == ["['", "{'", "None", "\\u00e8",
                                       "0123456789abcdef0123456789abcdef", "invoices"]  # fmt: skip
    assert leaks("See https://x.example/?t=0123456789abcdef0123456789abcdef", example_map) == []
