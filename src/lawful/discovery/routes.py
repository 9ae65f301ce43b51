"""What discovery adds to the app (`lawful.http.contribution`): its console page."""

from __future__ import annotations

from lawful.discovery import pages
from lawful.http.contribution import Contribution
from lawful.http.menu import MenuEntry

contribution = Contribution(
    package="lawful.discovery",
    routers=(pages.router,),
    menu=(MenuEntry("discovery", "Discovery", "/admin/discovery", order=70),),
)
