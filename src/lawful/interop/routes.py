"""What interoperability adds to the app (`lawful.http.contribution`): the Data Rights
Protocol's endpoints for authorized agents and their console page, and OpenDSR's endpoints
for the clients we process data for."""

from __future__ import annotations

from lawful.auth.roles import ADMINS
from lawful.http.contribution import Contribution
from lawful.http.menu import MenuEntry
from lawful.interop.drp import api, pages
from lawful.interop.opendsr import api as opendsr_api
from lawful.interop.opendsr import pages as opendsr_pages

contribution = Contribution(
    package="lawful.interop",
    routers=(api.router, pages.router, opendsr_api.router, opendsr_pages.router),
    menu=(
        MenuEntry("agents", "Authorized agents", "/admin/agents", ADMINS, order=94),
        MenuEntry("opendsr", "OpenDSR", "/admin/opendsr", ADMINS, order=96),
    ),
)
