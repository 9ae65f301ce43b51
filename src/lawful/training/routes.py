"""What the training register adds to the app (`lawful.http.contribution`): its page."""

from __future__ import annotations

from lawful.http.contribution import Contribution
from lawful.http.menu import MenuEntry
from lawful.training import pages

contribution = Contribution(
    package="lawful.training",
    routers=(pages.router,),
    menu=(MenuEntry("training", "Training", "/admin/training", order=85),),
)
