"""What interoperability adds to the app (`lawful.http.contribution`): the Data Rights
Protocol's endpoints for authorized agents."""

from __future__ import annotations

from lawful.http.contribution import Contribution
from lawful.interop.drp import api

contribution = Contribution(package="lawful.interop", routers=(api.router,))
