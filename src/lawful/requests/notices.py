"""What each mail to the person says, worked out from the request and the data map.

The texts themselves are the templates in `templates/`; here are the facts they need, so
that the extension mail carries its reasons (GDPR Art. 12(3)), the denial its reason and the
right to complain (Art. 12(4); 11 CCR §7022–§7024), and the completion whom to turn to for
data a client controls.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from lawful.datamap import facts
from lawful.datamap.facts import contact_lines, dpo_lines
from lawful.datamap.models import DataMap, Jurisdiction
from lawful.formats import day
from lawful.law.denials import DENIAL_GROUNDS, DenialReason, denial_notice
from lawful.law.requests import REQUEST_TYPES, Regime, regime_of
from lawful.requests.context import RequestsContext
from lawful.requests.links import download_url, privacy_url, status_url
from lawful.requests.models import RequestPackage, RightsRequest, VerificationLevel
from lawful.requests.verification import CODE_LIFETIME

# Where a person may complain besides the organisation (GDPR Art. 77, 79; under the CCPA the
# California Privacy Protection Agency takes complaints, Cal. Civ. Code §1798.199.45).
GDPR_REMEDY = (
    "You may complain to a data protection supervisory authority, in particular where you "
    "live or work, and you may go to court (GDPR Art. 77 and 79)."
)
CCPA_REMEDY = (
    "You may file a complaint with the California Privacy Protection Agency "
    "(cppa.ca.gov) (Cal. Civ. Code §1798.199.45)."
)


def mail_context(
    ctx: RequestsContext,
    request: RightsRequest,
    *,
    token: str,
    package: RequestPackage | None = None,
    secret: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Every fact a request's mail may use (the templates pick theirs)."""
    datamap = ctx.datamap
    org = datamap.organization
    tz = ZoneInfo(request.timezone)
    base = ctx.policy.public_url
    facts: dict[str, Any] = {
        "reference": request.reference,
        "type": request.request_type.value,
        "type_title": REQUEST_TYPES[request.request_type].title,
        "organisation": org.trading_name or org.name,
        "contact": contact_lines(org.contact),
        "dpo": dpo_lines(org.dpo),
        # Days as people write them ("7 Dec 2026", lawful.formats), in every mail alike.
        "received_on": day(request.received_at.astimezone(tz).date()),
        "respond_by": day(request.respond_by),
        "respond_by_citation": request.respond_by_citation,
        "status": request.status.value,
        "status_url": status_url(base, request.reference, token),
        "privacy_url": privacy_url(base),
        "needs_code": request.verification_level is not VerificationLevel.none,
        "verification": request.verification_level.value,
        "code": None,
        "code_minutes": int(CODE_LIFETIME.total_seconds() // 60),
        "note": "",
    }
    facts |= dict(secret or {})
    facts |= _extension(request)
    facts |= _denial(datamap, request)
    facts |= _outcome(datamap, request)
    facts |= _package(request, package, base, token, tz)
    return facts


def _extension(request: RightsRequest) -> dict[str, Any]:
    if not request.extensions:
        return {"extension": None}
    last = request.extensions[-1]
    unit = str(last["unit"]).replace("_", " ")
    amount = int(last["amount"])
    return {
        "extension": {
            "amount": f"{amount} {unit.removesuffix('s') if amount == 1 else unit}",
            "reason": last["reason"],
            "previous": day(last["previous"]),
        }
    }


def _remedy(jurisdiction: Jurisdiction | None) -> str:
    if jurisdiction is not None and regime_of(jurisdiction) is Regime.ccpa:
        return CCPA_REMEDY
    return GDPR_REMEDY


def _denial(datamap: DataMap, request: RightsRequest) -> dict[str, Any]:
    jurisdiction = Jurisdiction(request.jurisdiction) if request.jurisdiction else None
    authority = datamap.organization.lead_authority
    facts: dict[str, Any] = {
        "remedy": _remedy(jurisdiction),
        "authority": {"name": authority.name, "url": authority.url} if authority else None,
        "denial": None,
    }
    if request.denial_reason is None:
        return facts
    ground = DENIAL_GROUNDS[DenialReason(request.denial_reason)]
    citation = ground.citation_under(jurisdiction) if jurisdiction else None
    facts["denial"] = {
        "title": ground.title,
        "explanation": ground.explanation,
        "citation": citation or next(iter(ground.citations.values()), ""),
        "notice": denial_notice(jurisdiction) if jurisdiction else "",
    }
    return facts


def _outcome(datamap: DataMap, request: RightsRequest) -> dict[str, Any]:
    result = request.result or {}
    clients = []
    for forward in result.get("forwards", []):
        client = datamap.clients.get(str(forward.get("client")))
        if client is not None:
            clients.append(
                {
                    "name": client.name,
                    "contact": contact_lines(client.contact),
                    "sent": forward.get("status") in ("sent", "recorded"),
                }
            )
    kept = [
        {
            "dataset": dataset_in_words(datamap, k["dataset"]),
            "why": k.get("why", ""),
            "until": day(k["until"]) if k.get("until") else None,
        }
        for k in result.get("kept_records", [])
        if k.get("dataset") in datamap.datasets
    ]
    return {
        "result": {
            "records": result.get("records", 0),
            "changed": result.get("changed", 0),
            "manual": result.get("manual", 0),
            "staff_note": result.get("note", ""),
        },
        "clients": clients,
        "kept": kept,
    }


def dataset_in_words(datamap: DataMap, dataset_id: str) -> str:
    """A dataset as a person reads it, never its table or id: the map's description, else
    the kinds of data it holds (the category names)."""
    dataset = datamap.datasets[dataset_id]
    if dataset.description:
        return dataset.description.strip().rstrip(".")
    kinds = facts.unique(
        _lower_first(facts.category_name(datamap, field.category))
        for name, field in dataset.fields.items()
        if name not in dataset.key_fields() and field.references is None
    )
    return f"Records with your {facts.join_words(kinds)}" if kinds else "Other records about you"


def _lower_first(name: str) -> str:
    """ "Email address" → "email address"; an acronym ("IP address") stays as it is."""
    return name[:1].lower() + name[1:] if name[1:2].islower() else name


def _package(
    request: RightsRequest, package: RequestPackage | None, base: str, token: str, tz: ZoneInfo
) -> dict[str, Any]:
    if package is None:
        return {"package": None}
    return {
        "package": {
            "download_url": download_url(base, request.reference, token),
            "until": day(package.expires_at.astimezone(tz).date()),
        }
    }
