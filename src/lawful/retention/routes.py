"""What retention adds to the app (`lawful.http.contribution`): the legal holds page and the
Retention page (plan, sweeps, schedule, run now)."""

from __future__ import annotations

from lawful.http.contribution import Contribution
from lawful.http.menu import MenuEntry
from lawful.retention import pages, pages_sweeps

contribution = Contribution(
    package="lawful.retention",
    routers=(pages.router, pages_sweeps.router),
    menu=(
        MenuEntry("holds", "Legal holds", "/admin/holds", order=40),
        MenuEntry("retention", "Retention", "/admin/retention", order=42),
    ),
)
