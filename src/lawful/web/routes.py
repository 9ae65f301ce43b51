"""What the app's own shell adds (`lawful.http.contribution`), declared like a domain's: staff
sign-in and sign-out, API tokens, the dashboard, the data map drawn, the privacy notice page."""

from __future__ import annotations

from lawful.auth.roles import ADMINS
from lawful.http.contribution import Contribution
from lawful.http.menu import MenuEntry
from lawful.web.pages import dashboard, datamap, notice, session, tokens
from lawful.web.threads import enough_threads

contribution = Contribution(
    package="lawful.web",
    routers=(session.router, tokens.router, dashboard.router, datamap.router, notice.router),
    menu=(
        MenuEntry("dashboard", "Dashboard", "/admin/dashboard", order=10),
        MenuEntry("map", "Data map", "/admin/map", order=75),
        MenuEntry("tokens", "API tokens", "/admin/tokens", ADMINS, order=90),
    ),
    services=(enough_threads,),
)
