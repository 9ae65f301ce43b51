"""What the rights-request workflow adds to the app (`lawful.http.contribution`): the privacy
center's form, status and download pages, the staff queue, entry and outbox pages, the API."""

from __future__ import annotations

from lawful.auth.roles import REQUEST_HANDLERS
from lawful.http.contribution import Contribution
from lawful.http.menu import MenuEntry
from lawful.requests import (
    api,
    pages,
    pages_entry,
    pages_outbox,
    pages_queue,
    public,
    public_delivery,
    public_preferences,
)
from lawful.requests.sentences import audit_sentence

contribution = Contribution(
    package="lawful.requests",
    routers=(
        public.router,
        public_delivery.router,
        public_preferences.router,
        pages_entry.router,  # before `pages`: /admin/requests/new is not a reference
        pages_queue.router,  # before `pages`: nor is /admin/requests/export.csv
        pages.router,
        pages_outbox.router,
        api.router,
    ),
    menu=(
        MenuEntry("requests", "Requests", "/admin/requests", order=20),
        MenuEntry("new", "New request", "/admin/requests/new", REQUEST_HANDLERS, order=30),
        MenuEntry("outbox", "Outbox", "/admin/outbox", order=100),
    ),
    sentences=(audit_sentence,),
)
