"""What the processor register adds to the app (`lawful.http.contribution`): its pages and API."""

from __future__ import annotations

from lawful.http.contribution import Contribution
from lawful.http.menu import MenuEntry
from lawful.processors import api, pages
from lawful.processors.sentences import audit_sentence

contribution = Contribution(
    package="lawful.processors",
    routers=(api.router, pages.router),
    sentences=(audit_sentence,),
    menu=(MenuEntry("processors", "Processors", "/admin/processors", order=57),),
)
