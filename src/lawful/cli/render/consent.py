"""What the `lawful consent` commands print (Rich tables)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.markup import escape
from rich.table import Table

from lawful.consent.ledger_report import DecisionRow, NoticeRow, PersonHistory

_MINUTE = "%Y-%m-%d %H:%M UTC"


def history_table(person: PersonHistory) -> Table:
    """One row per event, oldest first; evidence named, not shown."""
    count = len(person.events)
    table = Table(title=f"{count} consent event{'' if count == 1 else 's'}", title_justify="left")
    for name in ("time", "purpose", "state", "channel", "method", "notice", "actor", "evidence"):
        table.add_column(name, overflow="fold")
    table.add_column("receipt id", overflow="fold")
    for e in person.events:
        about = e.purpose or (f"cookies: {e.cookie_category}" if e.cookie_category else "—")
        if e.contact_channel:
            about += f" ({e.contact_channel})"
        table.add_row(
            e.at.strftime(_MINUTE),
            escape(about),
            e.state.value,
            escape(e.channel),
            escape(e.method),
            escape(e.notice_version or "—"),
            escape(e.actor),
            person.evidence[e.uid],
            e.uid,
        )
    return table


def decisions_table(rows: Sequence[DecisionRow]) -> Table:
    """What a check answers now, per purpose and channel."""
    table = Table(title="Decisions now", title_justify="left")
    for name in ("purpose", "channel", "allowed", "reason", "deciding event"):
        table.add_column(name, overflow="fold")
    for row in rows:
        decision = row.decision
        table.add_row(
            escape(row.purpose),
            row.channel,
            "[green]yes[/]" if decision.allowed else "[red]no[/]",
            decision.reason,
            decision.event.uid if decision.event else "—",
        )
    return table


def notices_table(rows: Sequence[NoticeRow]) -> Table:
    table = Table(title=f"{len(rows)} notice version(s) published", title_justify="left")
    for name in ("version", "published", "material", "purposes affected", "sha256"):
        table.add_column(name, overflow="fold")
    for row in rows:
        table.add_row(
            escape(row.version),
            row.published_at.strftime(_MINUTE),
            "yes" if row.material else "no",
            escape(", ".join(row.purposes) or "—"),
            row.sha256[:16] + "…",
        )
    return table
