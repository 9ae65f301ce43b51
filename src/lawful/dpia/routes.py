"""What the DPIA register adds to the app (`lawful.http.contribution`): its pages, its API
and the words of its audit entries."""

from __future__ import annotations

from lawful.dpia import api, pages
from lawful.http.contribution import Contribution
from lawful.http.menu import MenuEntry

contribution = Contribution(
    package="lawful.dpia",
    routers=(api.router, pages.router),
    menu=(MenuEntry("dpia", "DPIAs", "/admin/dpia", order=55),),
)
