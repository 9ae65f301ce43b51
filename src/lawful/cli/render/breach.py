"""What the `lawful breach` commands print (Rich), and the people list as CSV."""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table

from lawful.breach.affected import Person
from lawful.breach.assessment import assess
from lawful.breach.models import Incident
from lawful.breach.service import incident_clock
from lawful.datamap.models import DataMap
from lawful.formats import moment


def incidents_table(incidents: Sequence[Incident], *, now: datetime, zone: tzinfo = UTC) -> Table:
    """The register; every moment in `zone`, the installation's (`LAWFUL_TIME_ZONE`)."""
    table = Table(title="Breach register", title_justify="left")
    for name in ("reference", "title", "status", "role", "aware", "people", "clock"):
        table.add_column(name, overflow="fold")
    for incident in incidents:
        table.add_row(
            incident.reference,
            escape(incident.title),
            incident.status.value,
            incident.our_role.value,
            moment(incident.became_aware_at, zone),
            "—" if incident.people_count is None else f"{incident.people_count:,}",
            escape(incident_clock(incident, now=now).describe(zone)),
        )
    return table


def incident_view(
    incident: Incident, datamap: DataMap, *, now: datetime, zone: tzinfo = UTC
) -> RenderableType:
    """One incident: clock, scope and counts, the Art. 33(3) items, who to tell, phases;
    every moment in `zone`, the installation's (`LAWFUL_TIME_ZONE`)."""
    clients = sorted({c for d in incident.datasets if (c := datamap.datasets[d].client_id())})
    decision = assess(risk=incident.risk, exemptions=incident.exemptions, role=incident.our_role,
                      categories=incident.categories, clients=clients, people=incident.people_count)  # fmt: skip
    lines: list[RenderableType] = [
        f"[bold]{incident.reference}[/] {escape(incident.title)} — {incident.status.value}, "
        f"we are {incident.our_role.value}",
        f"clock: {escape(incident_clock(incident, now=now).describe(zone))}",
        f"datasets: {', '.join(incident.datasets) or '—'}",
        _counts(incident, zone),
        _items_table(incident),
        *(f"to do: {escape(reason)}" for reason in decision.reasons),
        *(f"[yellow]hint[/] {escape(hint)}" for hint in decision.hints),
        _phases_table(incident, zone),
    ]
    return Group(*lines)


def _counts(incident: Incident, zone: tzinfo) -> str:
    if incident.counted_at is None:
        return "people affected: not counted yet (`lawful breach update REF --count`)"
    records = sum(incident.records_count.values())
    return (
        f"people affected: {incident.people_count:,}; records: {records:,} "
        f"({incident.unidentified_records or 0:,} identify no one), counted "
        f"{moment(incident.counted_at, zone)}"
    )


def _items_table(incident: Incident) -> Table:
    table = Table(title="GDPR Art. 33(3)", title_justify="left", show_header=False)
    table.add_column("item")
    table.add_column("state", overflow="fold")
    rows = [
        ("(a) nature, people, records", incident.nature and incident.people_count is not None),
        ("(b) DPO or contact point", True),
        ("(c) likely consequences", bool(incident.consequences)),
        (
            "(d) measures taken or proposed",
            bool(incident.measures_taken or incident.measures_proposed),
        ),
    ]
    for label, known in rows:
        table.add_row(label, "[green]given[/]" if known else "[yellow]to come (Art. 33(4))[/]")
    return table


def _phases_table(incident: Incident, zone: tzinfo) -> Table:
    table = Table(title="Phases", title_justify="left")
    for name in ("when", "who", "changed", "note"):
        table.add_column(name, overflow="fold")
    for update in incident.updates:
        table.add_row(
            moment(update.at, zone),
            escape(update.actor),
            escape(", ".join(update.changed)),
            escape(update.note or ""),
        )
    return table


def write_people_csv(path: Path, people: Sequence[Person]) -> Path:
    """One line per identity value of each person; readable by the owner only (0600)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["person", "identity_type", "value", "datasets"])
        for number, person in enumerate(people, start=1):
            for kind, value in person.values:
                writer.writerow([number, kind, value, " ".join(person.datasets)])
    return path
