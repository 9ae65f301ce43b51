"""What the DPIA register adds to the app (`lawful.http.contribution`): its pages, its API
and the words of its audit entries."""

from __future__ import annotations

from lawful.dpia import api, pages
from lawful.dpia.sentences import audit_sentence
from lawful.http.contribution import Contribution
from lawful.http.menu import MenuEntry

contribution = Contribution(
    package="lawful.dpia",
    routers=(api.router, pages.router),
    sentences=(audit_sentence,),
    menu=(MenuEntry("dpia", "DPIAs", "/admin/dpia", order=55),),
)
