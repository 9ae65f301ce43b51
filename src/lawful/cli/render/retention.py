"""What the `lawful retention` and `lawful hold` commands print (Rich)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
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
            escape(outcome["rule"])
            + (f" (from {escape(h)})" if (h := outcome.get("handed_from")) else ""),
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


def governed_table(governed: Sequence[dict[str, Any]]) -> Table:
    """Datasets whose rules have conditions: how many records each rule governs."""
    table = Table(title="Which rule governs which records", title_justify="left")
    for name in ("dataset", "rule", "records", "condition"):
        table.add_column(name, overflow="fold", justify="right" if name == "records" else "left")
    for one in governed:
        if one["problem"]:
            table.add_row(escape(one["dataset"]), "—", "—", f"[red]{escape(one['problem'])}[/]")
            continue
        for rule, count in one["by_rule"].items():
            condition = one["conditions"].get(rule) or "every record"
            if rule in one["handed_from"]:
                condition += f" (handed over by {one['handed_from'][rule]})"
            table.add_row(escape(one["dataset"]), escape(rule), str(count), escape(condition))
        if one["ungoverned"]:
            table.add_row(
                escape(one["dataset"]),
                "[yellow]no rule[/]",
                str(one["ungoverned"]),
                "kept: a value no rule's condition takes (`lawful check`: L021)",
            )
        if one["contested"]:
            table.add_row(
                escape(one["dataset"]),
                "[yellow]several rules[/]",
                str(one["contested"]),
                "the longest period wins (`lawful check`: L020)",
            )
    return table


def reasons_table(reasons: Sequence[dict[str, Any]], *, record: str, day: date) -> Table:
    """Every rule's view of one record (`retention plan --why`)."""
    table = Table(title=f"Retention of {escape(record)} as of {day.isoformat()}")
    for name in ("rule", "governs", "condition", "counted from", "started", "due on", "action"):
        table.add_column(name, overflow="fold")
    for reason in reasons:
        condition = reason["condition"] or "every record"
        if reason["handed_from"]:
            condition += f" (handed over by {reason['handed_from']})"
        due = reason["due_on"] or "not started"
        table.add_row(
            escape(reason["rule"]),
            "[green]yes[/]" if reason["governs"] else "no",
            escape(condition),
            escape(reason["start_field"] or "—"),
            reason["start"] or "—",
            f"[bold]{due} (due)[/]" if reason["due"] else due,
            reason["action"] if reason["governs"] else "—",
        )
    if not reasons:
        table.add_row("—", "no", "no retention rule covers this dataset", "—", "—", "—", "—")
    return table
