"""What the breach register adds to the app (`lawful.http.contribution`): its pages and forms
(the forms first: `/admin/breaches/new` is not an incident's reference)."""

from __future__ import annotations

from lawful.breach import forms_pages, pages
from lawful.http.contribution import Contribution
from lawful.http.menu import MenuEntry

contribution = Contribution(
    package="lawful.breach",
    routers=(forms_pages.router, pages.router),
    menu=(MenuEntry("breaches", "Breaches", "/admin/breaches", order=50),),
)
