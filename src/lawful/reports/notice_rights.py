"""The parts of the privacy notice about people's rights: GDPR Art. 15–22 and the CCPA.

What each right covers is drawn from the map: the purposes open to objection, to
portability or to withdrawal of consent, automated decisions, and whether we sell or share.
"""

from __future__ import annotations

from lawful.datamap import facts
from lawful.datamap.models import DataMap, LegalBasis, Purpose, RecipientRole
from lawful.datamap.taxonomy import ccpa_categories
from lawful.reports.document import Block, Paragraph, Subheading, bold, bullets, link, para, table

# --- GDPR rights (Art. 12–22) ------------------------------------------------------------------


def rights_section(datamap: DataMap) -> list[Block]:
    purposes = facts.controlled_by_us(datamap)
    rights = [
        *_BASIC_RIGHTS,
        _objection(purposes),
        _marketing_objection(purposes),
        _portability(purposes),
        _consent_withdrawal(purposes),
        _automated_decisions(purposes),
    ]
    return [
        para(
            "You can use each of the rights below free of charge. We can only refuse a request, "
            "or charge a reasonable fee for it, when it is manifestly unfounded or excessive, and "
            "we would then explain why (GDPR Art. 12(5))."
        ),
        bullets(rights),
        *_withdrawal_methods(purposes),
        Subheading("How to use your rights"),
        bullets(request_channels(datamap)),
        para(
            "Before we act, we may need to confirm that the request comes from you, usually with a "
            "one-time code sent to an email address or phone number we already hold for you."
        ),
        para(
            "We reply within one month of receiving your request. When a request is complex, or "
            "we receive many, we may need up to two further months; we would tell you so, with "
            "our reasons, within the first month (GDPR Art. 12(3))."
        ),
    ]


def _right(name: str, article: str, text: str) -> Paragraph:
    """One right as a list item: its name in bold, the article granting it, what it gives."""
    return para(bold(name), f" ({article}): ", text)


# Rights that read the same whatever the map says.
_BASIC_RIGHTS = (
    _right(
        "Access",
        "GDPR Art. 15",
        "ask whether we hold data about you and get a copy of it, together with why we use "
        "it, who receives it, how long we keep it and where it came from.",
    ),
    _right(
        "Rectification",
        "GDPR Art. 16",
        "have wrong details about you corrected, and missing ones added.",
    ),
    _right(
        "Erasure",
        "GDPR Art. 17",
        "have your data deleted when we no longer need it, when you withdraw your consent or "
        "object, or when it was used unlawfully. If a law makes us keep part of it, we tell "
        "you which part and until when.",
    ),
    _right(
        "Restriction",
        "GDPR Art. 18",
        "ask us to stop using your data and only keep it stored, for instance while we check "
        "its accuracy or weigh an objection of yours. We tell you before we lift the "
        "restriction.",
    ),
)


def _names(purposes: dict[str, Purpose]) -> str:
    return facts.join_words([p.name for p in purposes.values()])


def _objection(purposes: dict[str, Purpose]) -> Paragraph:
    # GDPR Art. 21(1) covers processing on Art. 6(1)(e) (public task) and (f) (legitimate
    # interests).
    grounds = {
        LegalBasis.legitimate_interests: "our legitimate interests",
        LegalBasis.public_task: "a task in the public interest",
    }
    used = [b for b in grounds if any(p.legal_basis is b for p in purposes.values())]
    basis = " or on ".join(grounds[b] for b in used) or grounds[LegalBasis.legitimate_interests]
    covered = {pid: p for pid, p in purposes.items() if p.legal_basis in grounds}
    which = f" ({_names(covered)})" if covered else ""
    return _right(
        "Objection",
        "GDPR Art. 21(1)",
        f"object, for reasons arising from your particular situation, to the uses of your data "
        f"that rest on {basis}{which}. We then stop, unless we can show compelling grounds that "
        "outweigh your interests and rights, or need the data for a legal claim.",
    )


def _marketing_objection(purposes: dict[str, Purpose]) -> Paragraph:
    marketing = {pid: p for pid, p in purposes.items() if p.direct_marketing}
    covers = f" Today this covers: {_names(marketing)}." if marketing else ""
    return _right(
        "Objection to direct marketing",
        "GDPR Art. 21(2)–(3)",
        "say no to direct marketing, including any profiling linked to it, whenever you wish "
        "and without giving a reason. Your data is then never used for marketing again."
        f"{covers}",
    )


def _portability(purposes: dict[str, Purpose]) -> Paragraph:
    # GDPR Art. 20(1): only data provided by the person, processed on consent or contract.
    portable = {
        pid: p
        for pid, p in purposes.items()
        if p.legal_basis in (LegalBasis.consent, LegalBasis.contract)
    }
    which = f" This concerns: {_names(portable)}." if portable else ""
    return _right(
        "Portability",
        "GDPR Art. 20",
        "receive the data you gave us, where we use it with your consent or to perform a "
        "contract with you, in a structured, machine-readable file, or have us send it "
        f"straight to another organisation when that is technically possible.{which}",
    )


def _consent_withdrawal(purposes: dict[str, Purpose]) -> Paragraph:
    consented = _consented(purposes)
    if not consented:
        return _right(
            "Withdrawing consent",
            "GDPR Art. 7(3)",
            "none of our purposes relies on your consent today; if one ever does, you will be "
            "able to withdraw it at any time.",
        )
    return _right(
        "Withdrawing consent",
        "GDPR Art. 7(3)",
        f"where we rely on your consent ({_names(consented)}), you can take it back at any "
        "time, as easily as you gave it. What we did before you withdrew it stays lawful.",
    )


def _consented(purposes: dict[str, Purpose]) -> dict[str, Purpose]:
    return {pid: p for pid, p in purposes.items() if p.legal_basis is LegalBasis.consent}


def _withdrawal_methods(purposes: dict[str, Purpose]) -> list[Block]:
    """How to take back each consent, as the map states it (GDPR Art. 7(3))."""
    ways = [
        para(bold(p.name), ": ", facts.sentence(p.consent.withdrawal))
        for p in _consented(purposes).values()
        if p.consent and p.consent.withdrawal
    ]
    return [para("How to withdraw a consent:"), bullets(ways)] if ways else []


def _automated_decisions(purposes: dict[str, Purpose]) -> Paragraph:
    automated = [p for p in purposes.values() if p.automated_decisions]
    if not automated:
        return _right(
            "Automated decisions",
            "GDPR Art. 22",
            "no decision with legal or similarly significant effects on you is taken by a machine "
            "alone.",
        )
    logic = " ".join(f"{p.name}: {p.automated_decisions}." for p in automated)
    return _right(
        "Automated decisions",
        "GDPR Art. 22",
        f"some decisions are made by automated means. {logic} You can ask for a person from "
        "our staff to review such a decision, give your point of view and contest it.",
    )


def request_channels(datamap: DataMap) -> list[Paragraph]:
    """Where people send requests: `organization.requests`, else the general contact."""
    org = datamap.organization
    channels = org.requests
    if channels is None:
        email, phone = org.contact.email, org.contact.phone
        return [
            *([para("By email: ", link(email, f"mailto:{email}"))] if email else []),
            *([para("By phone: ", link(phone, f"tel:{facts.dial(phone)}"))] if phone else []),
        ]
    items = []
    if channels.url:
        items.append(para("Online: ", link(channels.url, channels.url)))
    if channels.email:
        items.append(para("By email: ", link(channels.email, f"mailto:{channels.email}")))
    if channels.phone:
        items.append(para("By phone: ", link(channels.phone, f"tel:{facts.dial(channels.phone)}")))
    if channels.toll_free:
        number = channels.toll_free
        items.append(para("Toll-free: ", link(number, f"tel:{facts.dial(number)}")))
    if channels.post:
        items.append(para(f"By post: {channels.post.one_line()}"))
    return items


# --- CCPA (Cal. Civ. Code §1798.100–.199, 11 CCR §7000 ff.) ------------------------------------


def ccpa_section(datamap: DataMap) -> list[Block]:
    return [
        para(
            "This part is for California residents. It uses the categories defined by the "
            "California Consumer Privacy Act, as amended by the California Privacy Rights Act "
            "(together, the CCPA), and describes the past 12 months as well as today."
        ),
        Subheading("Personal information we collect"),
        _ccpa_table(datamap),
        para(
            "Where this information comes from is described under ",
            link("Data we collect", "#data-we-collect"),
            ", and how long we keep it under ",
            link("Retention", "#retention"),
            ".",
        ),
        Subheading("Selling and sharing"),
        *_sale_and_sharing(datamap),
        Subheading("Sensitive personal information"),
        *_sensitive(datamap),
        Subheading("Your rights under the CCPA"),
        bullets(_ccpa_rights()),
        Subheading("Making a request"),
        bullets(request_channels(datamap)),
        para(
            "Someone you authorise may also make a request for you, with your signed permission; "
            "we may still ask you to confirm your identity with us directly (11 CCR §7063)."
        ),
        para(
            "We confirm receipt within 10 business days and answer within 45 calendar days. If we "
            "need more time, up to another 45 days, we tell you why before the first period ends "
            "(11 CCR §7021). A request to opt out takes effect within 15 business days "
            "(11 CCR §7026)."
        ),
    ]


def _our_categories(datamap: DataMap) -> list[str]:
    return facts.unique(
        c for sid in facts.our_subjects(datamap) for c in facts.subject_categories(datamap, sid)
    )


# Handing data to a service provider or contractor is neither a sale nor sharing (Cal. Civ.
# Code §1798.140(ad)(2), (ah)(2)); nor is a transfer to a buyer as an asset in a merger or
# acquisition (§1798.140(ad)(2)(C), (ah)(2)(C)).
_NEVER_SOLD_TO = (RecipientRole.processor, RecipientRole.sub_processor, RecipientRole.acquirer)


def _sells_to(datamap: DataMap, recipient_id: str) -> bool:
    """We sell to this recipient (§1798.140(ad)): it is flagged so, or it is a third party
    receiving data for a purpose that sells."""
    recipient = datamap.recipients[recipient_id]
    if recipient.sale:
        return True
    if recipient.role in _NEVER_SOLD_TO:
        return False
    return any(
        datamap.purposes[pid].sale for pid in facts.recipient_purposes(datamap, recipient_id)
    )


def _shares_with(datamap: DataMap, recipient_id: str) -> bool:
    """We share with this recipient for cross-context behavioural advertising
    (§1798.140(ah)): it is flagged so, or it is a third party receiving data for a purpose
    that shares."""
    recipient = datamap.recipients[recipient_id]
    if recipient.sharing:
        return True
    if recipient.role in _NEVER_SOLD_TO:
        return False
    return any(
        datamap.purposes[pid].sharing for pid in facts.recipient_purposes(datamap, recipient_id)
    )


def _sells_or_shares(datamap: DataMap, recipient_id: str) -> bool:
    return _sells_to(datamap, recipient_id) or _shares_with(datamap, recipient_id)


def _ccpa_table(datamap: DataMap) -> Block:
    ours = _our_categories(datamap)
    recipients = [rid for rid in datamap.recipients if facts.serves_us(datamap, rid)]
    rows = []
    for key, term in ccpa_categories().items():
        members = [c for c in ours if facts.ccpa_category(datamap, c) == key]
        if not members:
            continue
        receiving = [
            r for r in recipients if set(facts.recipient_categories(datamap, r)) & set(members)
        ]
        rows.append(
            (
                para(bold(term.name), f" ({term.article})"),
                ", ".join(facts.category_name(datamap, c) for c in members),
                _purposes_using(datamap, members),
                _recipient_names(
                    datamap, [r for r in receiving if not _sells_or_shares(datamap, r)]
                ),
                _recipient_names(datamap, [r for r in receiving if _sells_to(datamap, r)]),
                _recipient_names(datamap, [r for r in receiving if _shares_with(datamap, r)]),
            )
        )
    headers = (
        "Category",
        "What it includes here",
        "Why we use it",
        "Disclosed for a business purpose to",
        "Sold to",
        "Shared for cross-context behavioural advertising with",
    )
    return table("Categories of personal information (CCPA §1798.110)", headers, rows)


def _purposes_using(datamap: DataMap, categories: list[str]) -> str:
    wanted = set(categories)
    names = [
        p.name
        for pid, p in facts.controlled_by_us(datamap).items()
        if wanted & set(facts.purpose_categories(datamap, pid))
    ]
    return ", ".join(names) or "—"


def _recipient_names(datamap: DataMap, recipient_ids: list[str]) -> str:
    return ", ".join(datamap.recipients[r].name for r in recipient_ids) or "No one"


def _sale_and_sharing(datamap: DataMap) -> list[Block]:
    """Driven by the map's flags: what we sell (§1798.140(ad)) and what we share for
    cross-context behavioural advertising (§1798.140(ah)) are said apart, never lumped."""
    ours = [rid for rid in datamap.recipients if facts.serves_us(datamap, rid)]
    buyers = [rid for rid in ours if _sells_to(datamap, rid)]
    sharers = [rid for rid in ours if _shares_with(datamap, rid)]
    purposes = facts.controlled_by_us(datamap).values()
    sells = bool(buyers) or datamap.organization.sells_personal_information
    sells = sells or any(p.sale for p in purposes)
    shares = bool(sharers) or any(p.sharing for p in purposes)
    if not sells and not shares:
        return [
            para(
                bold("We do not sell or share your personal information."),
                " We neither sell it nor share it for cross-context behavioural advertising "
                "(Cal. Civ. Code §1798.120, §1798.140(ad) and (ah)). A Global Privacy Control "
                "signal from your browser is still honoured as an opt-out.",
            )
        ]
    blocks: list[Block] = []
    if sells:
        to = f" to {_recipient_names(datamap, buyers)}" if buyers else ""
        blocks.append(para(bold(f"We sell personal information{to}"), ", as the table shows."))
    else:
        blocks.append(para(bold("We do not sell your personal information.")))
    if shares:
        to = f" with {_recipient_names(datamap, sharers)}" if sharers else ""
        blocks.append(
            para(
                bold(
                    f"We share personal information for cross-context behavioural advertising{to}"
                ),
                ", as the table shows: that is, for ads shown to you on other sites based on "
                "your activity on ours (Cal. Civ. Code §1798.140(ah)).",
            )
        )
    else:
        blocks.append(
            para(bold("We do not share your personal information for cross-context advertising."))
        )
    blocks.append(
        para(
            "You can opt out at any time using the channels below, or by turning on Global "
            "Privacy Control in your browser, which we treat as a valid request to opt out "
            "(11 CCR §7025). We do not sell or share the personal information of consumers we "
            "know to be under 16 without their affirmative authorisation (Cal. Civ. Code "
            "§1798.120(c))."
        )
    )
    return blocks


def _sensitive(datamap: DataMap) -> list[Block]:
    sensitive = [c for c in _our_categories(datamap) if facts.is_sensitive_pi(datamap, c)]
    if not sensitive:
        return [para("We do not collect sensitive personal information.")]
    return [
        para(
            "We collect these kinds of sensitive personal information (Cal. Civ. Code §1798.140(ae)):"
        ),
        bullets(
            f"{facts.category_name(datamap, c)}, for: {_purposes_using(datamap, [c])}"
            for c in sensitive
        ),
        para(
            "You can ask us to limit its use to what is needed to provide the services you asked "
            "for (Cal. Civ. Code §1798.121)."
        ),
    ]


def _ccpa_rights() -> list[Paragraph]:
    return [
        _right(
            "Right to know",
            "§1798.100, §1798.110, §1798.115",
            "ask which categories of personal information we collected about you, from which "
            "sources, for what business or commercial purpose, to whom we disclosed them, and "
            "for a copy of the specific pieces we hold.",
        ),
        _right(
            "Right to delete",
            "§1798.105",
            "ask us to delete personal information we collected from you.",
        ),
        _right(
            "Right to correct",
            "§1798.106",
            "have inaccurate personal information about you corrected.",
        ),
        _right(
            "Right to opt out of sale or sharing",
            "§1798.120",
            "tell us not to sell or share your personal information, including by a Global "
            "Privacy Control signal.",
        ),
        _right(
            "Right to limit the use of sensitive personal information",
            "§1798.121",
            "restrict its use to what is necessary to provide the goods or services you expect.",
        ),
        _right(
            "Right to non-discrimination",
            "§1798.125",
            "using any of these rights never leads to a different price, quality of service or "
            "other treatment that puts you at a disadvantage.",
        ),
    ]
