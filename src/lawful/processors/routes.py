"""What the processor register adds to the app (`lawful.http.contribution`): its pages."""

from __future__ import annotations

from lawful.http.contribution import Contribution
from lawful.http.menu import MenuEntry
from lawful.processors import pages

contribution = Contribution(
    package="lawful.processors",
    routers=(pages.router,),
    menu=(MenuEntry("processors", "Processors", "/admin/processors", order=57),),
)
