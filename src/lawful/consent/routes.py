"""What consent adds to the app (`lawful.http.contribution`): the API and its fast path for
`/api/v1/consent/check`, the public preference pages (`public`), the console page (`pages`)."""

from __future__ import annotations

from lawful.consent import api, pages, public, reconsent_pages
from lawful.consent.check_path import ConsentCheckPath
from lawful.http.contribution import Contribution
from lawful.http.menu import MenuEntry

contribution = Contribution(
    package="lawful.consent",
    routers=(api.router, public.router, pages.router, reconsent_pages.router),
    menu=(MenuEntry("consent", "Consent", "/admin/consent", order=60),),
    fast_paths=(ConsentCheckPath,),
)
