"""How Lawful reaches others, from the data map: how a system hears of restrictions,
objections, isolation and pending erasures (`notify:` on a system or a dataset;
docs/markers.md), and a processor's OpenDSR endpoint."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from lawful.datamap.modelbase import Model

ENV_VAR_PATTERN = r"^[A-Z_][A-Z0-9_]*$"


class WebhookTarget(Model):
    """Where a system hears of decisions: a URL and an HMAC secret, both from the environment
    (never in YAML), and how long a delivery may take."""

    url_env: str = Field(pattern=ENV_VAR_PATTERN, description="Variable holding the HTTPS URL")
    secret_env: str = Field(
        pattern=ENV_VAR_PATTERN, description="Variable holding the `whsec_…` signing secret"
    )
    timeout_seconds: float = Field(default=10, gt=0, le=60)


class WebhookNotify(Model):
    webhook: WebhookTarget


# How a system is told of restrictions, objections, isolation and pending erasures
# (docs/markers.md): a signed webhook, the HTTP connector's own API, or staff by hand.
Notify = WebhookNotify | Literal["http_connector", "manual"]


class RecipientOpenDsr(Model):
    """A processor that takes our requests by OpenDSR 2.0 (we are its controller)."""

    url: str = Field(description="Its OpenDSR base, e.g. https://opendsr.vendor.example/v1")
    domain: str = Field(description="Its domain: X-OpenDSR-Processor-Domain, in its certificate")
    token_env: str = Field(
        pattern=ENV_VAR_PATTERN, description="Environment variable with the token it gave us"
    )
