"""Retention against the live datastores (`lawful check --live`): the column each event
counts from, of the dataset itself or of the row it hangs off (`orders.placed_at`), must hold
dates a store can compare with a cutoff (see `lawful.connectors.sql.values.cutoff_for`)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from lawful.connectors.schema import LiveColumn, LiveSchema
from lawful.datamap.graph import ParentLink, parent_date
from lawful.datamap.models import DataMap
from lawful.datamap.problems import Finding

# Types a cutoff compares with: dates and date-times, or ISO 8601 text.
_DATED = re.compile(r"DATE|TIME|CHAR|TEXT|CLOB|STRING", re.IGNORECASE)


def event_dates(datamap: DataMap, schemas: Mapping[str, LiveSchema]) -> Iterator[Finding]:
    """D014: an event's live column holds no date (a number, a boolean, a blob)."""
    for did, dataset in datamap.datasets.items():
        for event, named in dataset.events.items():
            link = parent_date(datamap, did, named)
            owner, field = (
                (link.parent, link.field) if isinstance(link, ParentLink) else (did, named)
            )
            column = _live_column(datamap, schemas, owner, field)
            if column is None or _DATED.search(column.type):
                continue  # a missing table or column is D002/D003
            yield Finding(
                "D014",
                ("datasets", did, "events", event),
                f"event `{event}` of `{did}` counts from `{owner}.{field}`, a live "
                f"{column.type} column: it holds no date, so no record is ever due",
                "point the event at a date, date-time or ISO 8601 text column",
            )


def _live_column(
    datamap: DataMap, schemas: Mapping[str, LiveSchema], did: str, field: str
) -> LiveColumn | None:
    dataset = datamap.datasets[did]
    live = schemas.get(dataset.system)
    table = live.table(dataset.table or did) if live is not None else None
    return table.column(field) if table is not None else None
