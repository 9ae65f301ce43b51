"""What retention adds to the app (`lawful.http.contribution`): the legal holds page."""

from __future__ import annotations

from lawful.http.contribution import Contribution
from lawful.http.menu import MenuEntry
from lawful.retention import pages

contribution = Contribution(
    package="lawful.retention",
    routers=(pages.router,),
    menu=(MenuEntry("holds", "Legal holds", "/admin/holds", order=40),),
)
