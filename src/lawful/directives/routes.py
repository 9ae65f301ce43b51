"""What the post-mortem directives register adds to the app: its pages and its JSON API."""

from __future__ import annotations

from lawful.directives import api, pages
from lawful.directives.sentences import audit_sentence
from lawful.http.contribution import Contribution
from lawful.http.menu import MenuEntry

contribution = Contribution(
    package="lawful.directives",
    routers=(pages.router, api.router),
    menu=(MenuEntry("directives", "Post-mortem directives", "/admin/directives", order=56),),
    sentences=(audit_sentence,),
)
