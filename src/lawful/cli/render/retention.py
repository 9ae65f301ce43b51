"""What the `lawful retention` and `lawful hold` commands print (Rich)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.markup import escape
from rich.table import Table

from lawful.retention.service import HoldView

_DONE = {"delete": "deleted", "anonymize": "anonymised", "isolate": "isolated", "flag": "flagged"}


def outcomes_table(outcomes: Sequence[dict[str, Any]], *, title: str) -> Table:
    """One row per rule and dataset: why records are due, how many, and what is kept."""
    table = Table(title=title, title_justify="left", show_lines=False)
    for name in ("dataset", "rule", "counted from", "period", "cutoff"):
        table.add_column(name, overflow="fold")
    table.add_column("due", justify="right")
    for name in ("action", "kept"):
        table.add_column(name, overflow="fold")
    for outcome in outcomes:
        table.add_row(
            escape(outcome["dataset"]),
            escape(outcome["rule"]),
            escape(outcome.get("start_field") or "—"),
            outcome.get("period") or "—",
            outcome.get("cutoff") or "—",
            str(outcome["due"]),
            _action(outcome),
            _kept(outcome),
        )
    return table


def _action(outcome: dict[str, Any]) -> str:
    if outcome.get("problem"):
        return f"[red]cannot run[/]: {escape(outcome['problem'])}"
    if outcome.get("manual"):
        return f"[yellow]by hand[/]: {escape(outcome['manual'])}"
    return f"{_DONE.get(outcome['action'], outcome['action'])} {outcome['acted']}"


def _kept(outcome: dict[str, Any]) -> str:
    parts = [
        f"{outcome['held']} legal hold" if outcome["held"] else "",
        f"{outcome['restricted']} restricted (Art. 18)" if outcome["restricted"] else "",
        f"{outcome['requested']} open request" if outcome["requested"] else "",
        f"{outcome['already']} done before" if outcome["already"] else "",
        *(f"{n} by rule {escape(r)}" for r, n in outcome.get("kept_by_rules", {}).items()),
        f"{n} without their parent row (no date)" if (n := outcome.get("no_parent")) else "",
    ]
    return ", ".join(p for p in parts if p) or "—"


def citations(outcomes: Sequence[dict[str, Any]]) -> list[str]:
    """Why each rule applies: its ground, once per rule."""
    seen: dict[str, str] = {}
    for outcome in outcomes:
        seen.setdefault(outcome["rule"], outcome["why"])
    return [f"[bold]{escape(rule)}[/]: {escape(why)}" for rule, why in seen.items()]


def protection_lines(summary: dict[str, Any]) -> list[str]:
    lines = []
    if summary.get("held_datasets"):
        lines.append(f"datasets on legal hold: {', '.join(summary['held_datasets'])}")
    lines.append(f"records of people on legal hold: {summary.get('held_records', 0)}")
    if summary.get("requests_checked"):
        lines.append(f"people with an open rights request: {summary.get('open_requests', 0)}")
    else:
        lines.append("open rights requests were not checked: only legal holds protect people")
    return lines


def holds_table(holds: Sequence[HoldView]) -> Table:
    table = Table(title="Legal holds", title_justify="left")
    for name in ("id", "scope", "reference", "covers", "reason", "owner", "placed", "released"):
        table.add_column(name, overflow="fold")
    for hold in holds:
        covers = "\n".join([*hold.people, *(f"dataset {d}" for d in hold.datasets)])
        released = (
            f"{hold.released_at:%Y-%m-%d} by {hold.released_by}: {hold.release_note}"
            if hold.released_at
            else "active"
        )
        table.add_row(
            hold.id,
            hold.scope,
            escape(hold.reference or "—"),
            escape(covers),
            escape(hold.reason),
            escape(hold.owner),
            f"{hold.created_at:%Y-%m-%d} by {escape(hold.created_by)}",
            escape(released),
        )
    return table
