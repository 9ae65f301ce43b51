"""What the audit trail adds to the app (`lawful.http.contribution`): its page and its API."""

from __future__ import annotations

from lawful.audit import api, pages
from lawful.http.contribution import Contribution
from lawful.http.menu import MenuEntry

contribution = Contribution(
    package="lawful.audit",
    routers=(pages.router, api.router),
    menu=(MenuEntry("audit", "Audit trail", "/admin/audit", order=80),),
)
