"""Mail to staff members: an invitation to the admin console and a password-reset link. Sent
through the platform's mailer (SMTP, or the demo outbox) like every other mail; the link's
secret is in its query string, which the access log never writes."""

from __future__ import annotations

from functools import cache
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment

from lawful.config import Settings
from lawful.jinja import environment, package_templates
from lawful.requests.mail import Mail, mailer_from_settings

SUBJECTS = {
    "staff_invite": "You are invited to the privacy console of {organization}",
    "staff_reset": "Choose a new password for the privacy console of {organization}",
}
PATHS = {"staff_invite": "/admin/welcome", "staff_reset": "/admin/reset"}


@cache
def _templates() -> Environment:
    return environment(package_templates("lawful.web", "templates/mail"))


def link_url(settings: Settings, kind: str, secret: str) -> str:
    return f"{settings.public_url.rstrip('/')}{PATHS[kind]}?{urlencode({'token': secret})}"


def send_staff_mail(
    settings: Settings, kind: str, *, to: str, secret: str, context: dict[str, Any]
) -> None:
    """Render and send the mail `kind` (a key of SUBJECTS); raises MailError if not sent."""
    facts = context | {"link": link_url(settings, kind, secret)}
    env = _templates()
    mail = Mail(
        to=to,
        subject=SUBJECTS[kind].format(organization=facts["organization"]),
        text=env.get_template(f"{kind}.txt.j2").render(**facts),
        html=env.get_template(f"{kind}.html.j2").render(**facts),
        kind=kind,
    )
    mailer_from_settings(settings).send(mail)
