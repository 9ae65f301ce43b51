"""What the breach register adds to the app (`lawful.http.contribution`): its pages."""

from __future__ import annotations

from lawful.breach import pages
from lawful.http.contribution import Contribution
from lawful.http.menu import MenuEntry

contribution = Contribution(
    package="lawful.breach",
    routers=(pages.router,),
    menu=(MenuEntry("breaches", "Breaches", "/admin/breaches", order=50),),
)
