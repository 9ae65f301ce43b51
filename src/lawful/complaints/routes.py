"""What the complaints register adds to the app: its pages and its JSON API."""

from __future__ import annotations

from lawful.complaints import api, pages
from lawful.complaints.sentences import audit_sentence
from lawful.http.contribution import Contribution
from lawful.http.menu import MenuEntry

contribution = Contribution(
    package="lawful.complaints",
    routers=(pages.router, api.router),
    menu=(MenuEntry("complaints", "Complaints", "/admin/complaints", order=54),),
    sentences=(audit_sentence,),
)
