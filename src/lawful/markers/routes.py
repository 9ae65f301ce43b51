"""What markers add to the app (`lawful.http.contribution`): their API and console page."""

from __future__ import annotations

from lawful.http.contribution import Contribution
from lawful.http.menu import MenuEntry
from lawful.markers import api, pages
from lawful.markers.sentences import audit_sentence

contribution = Contribution(
    package="lawful.markers",
    routers=(pages.router, api.router),
    menu=(MenuEntry("markers", "Markers", "/admin/markers", order=45),),
    sentences=(audit_sentence,),
)
