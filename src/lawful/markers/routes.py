"""What markers add to the app (`lawful.http.contribution`): their API and console page."""

from __future__ import annotations

from lawful.http.contribution import Contribution
from lawful.markers import api

contribution = Contribution(package="lawful.markers", routers=(api.router,))
