"""What the training register adds to the app (`lawful.http.contribution`): its page and API."""

from __future__ import annotations

from lawful.http.contribution import Contribution
from lawful.http.menu import MenuEntry
from lawful.training import api, pages

contribution = Contribution(
    package="lawful.training",
    routers=(api.router, pages.router),
    menu=(MenuEntry("training", "Training", "/admin/training", order=85),),
)
