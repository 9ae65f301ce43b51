"""What job running adds to the app (`lawful.http.contribution`): the jobs and status pages,
the status API, and the in-process job runner (a service entered while the app runs)."""

from __future__ import annotations

from lawful.http.contribution import Contribution
from lawful.http.menu import MenuEntry
from lawful.worker import api, pages
from lawful.worker.jobs import worker_service

contribution = Contribution(
    package="lawful.worker",
    routers=(pages.router, api.router),
    menu=(
        MenuEntry("jobs", "Jobs", "/admin/jobs", order=110),
        MenuEntry("status", "Status", "/admin/status", order=120),
    ),
    services=(worker_service,),
)
