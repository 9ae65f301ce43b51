"""What an agent's request says about the person (DRP 1.0 §3.04: schema.org/Person claims,
the OpenID Connect address claim) and what it asks for (§3.01), as our intake."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lawful.datamap.models import DataMap
from lawful.interop.drp.errors import bad_request
from lawful.interop.drp.models import DrpAgent
from lawful.law.requests import RequestType
from lawful.requests.intake import Intake

# DRP 1.0 §3.01 actions; the spec writes both `sale:opt_out` (table) and `sale:opt-out`.
ACTIONS: Mapping[str, RequestType] = {
    "sale:opt_out": RequestType.opt_out_sale_sharing,
    "sale:opt-out": RequestType.opt_out_sale_sharing,
    "deletion": RequestType.erasure,
    "access": RequestType.access,
    # The semantics of the two are "declared at a later date" (§3.01): both are the right to
    # know (CCPA §1798.110), which our access package answers in full (categories and
    # specific pieces).
    "access:categories": RequestType.access,
    "access:specific": RequestType.access,
}
# Opting in again to sale is a consent, given by the person in the privacy center.
UNSUPPORTED = frozenset({"sale:opt_in", "sale:opt-in"})
MAX_CLAIM = 500


def request_type_of(exercise: object) -> RequestType:
    if isinstance(exercise, str) and exercise in ACTIONS:
        return ACTIONS[exercise]
    if exercise in UNSUPPORTED:
        raise bad_request(
            "Unsupported rights actions submitted: opting in to sale is a consent the person "
            "gives in our privacy center."
        )
    raise bad_request(
        f"Unsupported rights actions submitted: use one of {', '.join(sorted(ACTIONS))}."
    )


def intake_of(claims: Mapping[str, Any], *, agent: DrpAgent, datamap: DataMap) -> Intake:
    request_type = request_type_of(claims.get("exercise"))
    email = _claim(claims, "email")
    if email is None:
        raise bad_request("The `email` claim is needed: it is how this business finds the person.")
    country, region = _residence(claims)
    return Intake(
        request_type=request_type.value,
        email=email,
        country=country,
        region=region,
        phone=_claim(claims, "phone_number"),
        name=_claim(claims, "name"),
        address=_address(claims.get("address")),
        channel="agent",
        agent=agent.name,
        # 11 CCR §7063(a): the agent's proof. The agent attests it verified the person's
        # email (`email_verified`, §3.04); without it the person confirms by a code.
        agent_verified=claims.get("email_verified") is True,
        message=_power_of_attorney(claims),
    )


def _claim(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_CLAIM:
        raise bad_request(f"The `{name}` claim must be a string of at most {MAX_CLAIM} characters.")
    return value


def _residence(claims: Mapping[str, Any]) -> tuple[str, str | None]:
    """Where the person lives: the address claim's country, else the regime's (CCPA: CA)."""
    address = claims.get("address")
    if isinstance(address, Mapping) and isinstance(address.get("country"), str):
        region = address.get("region")
        return address["country"], region if isinstance(region, str) else None
    if claims.get("regime") == "ccpa":
        return "US", "CA"
    raise bad_request("Say where the person lives: an `address` claim with `country`.")


def _address(value: object) -> str | None:
    """The OpenID Connect address claim (`formatted`, or its parts), as one line."""
    if value is None:
        return None
    if isinstance(value, str):
        return value[:MAX_CLAIM]
    if not isinstance(value, Mapping):
        raise bad_request("The `address` claim must be an object (OpenID Connect 5.1.1).")
    if isinstance(value.get("formatted"), str):
        return str(value["formatted"])[:MAX_CLAIM]
    parts = ("street_address", "locality", "region", "postal_code", "country")
    text = ", ".join(str(value[k]) for k in parts if isinstance(value.get(k), str))
    return text[:MAX_CLAIM] or None


def _power_of_attorney(claims: Mapping[str, Any]) -> str | None:
    """A reference to the person's signed permission (11 CCR §7063(a)(1)), kept sealed."""
    reference = _claim(claims, "power_of_attorney")
    return f"Power of attorney given to the agent: {reference}" if reference else None
