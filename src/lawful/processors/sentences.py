"""The processor register's audit entries in words (`Contribution.sentences`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lawful.datamap.models import DataMap


def _client(datamap: DataMap, client: str) -> str:
    return datamap.clients[client].name if client in datamap.clients else client


def audit_sentence(action: str, details: Mapping[str, Any], datamap: DataMap) -> str | None:
    if action == "processor.agreement_recorded":
        return f"Processor agreement recorded: {details.get('authorisation', '')} authorisation of sub-processors"
    if action == "processor.change_announced":
        clients = [_client(datamap, str(c)) for c in details.get("clients", [])]
        told = f"; notice owed to {', '.join(clients)}" if clients else ""
        return f"Change of sub-processor announced ({details.get('kind', '')}){told}"
    if action == "processor.notice_sent":
        return f"Notice of a sub-processor change sent to {_client(datamap, str(details.get('client', '')))}"
    return None
