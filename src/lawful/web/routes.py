"""What the app's own shell adds (`lawful.http.contribution`), declared like a domain's: staff
sign-in and sign-out, API tokens, the dashboard, the data map drawn, the privacy notice page."""

from __future__ import annotations

from lawful.auth.roles import ADMINS
from lawful.http.contribution import Contribution
from lawful.http.menu import MenuEntry
from lawful.web.pages import account, dashboard, datamap, notice, session, sso, tokens, users
from lawful.web.sentences import audit_sentence
from lawful.web.threads import enough_threads

contribution = Contribution(
    package="lawful.web",
    routers=(
        session.router,
        sso.router,
        account.router,
        users.router,
        tokens.router,
        dashboard.router,
        datamap.router,
        notice.router,
    ),
    menu=(
        MenuEntry("dashboard", "Dashboard", "/admin/dashboard", order=10),
        MenuEntry("users", "Users", "/admin/users", ADMINS, order=85),
        MenuEntry("map", "Data map", "/admin/map", order=75),
        MenuEntry("tokens", "API tokens", "/admin/tokens", ADMINS, order=90),
        MenuEntry("account", "My account", "/admin/account", order=99),
    ),
    services=(enough_threads,),
    sentences=(audit_sentence,),
)
