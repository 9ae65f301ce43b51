"""`lawful` commands: the register of complaints and authority inquiries (lawful.complaints)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from lawful.cli import app
from lawful.cli.common import (
    DEFAULT_MAP,
    DataOption,
    MapOption,
    OperatorOption,
    dsr_errors,
    dsr_runtime,
    err,
    operator_name,
    out,
)

complaints_app = typer.Typer(
    help="Complaints and authority inquiries (GDPR Art. 77, 57(1)(f), 58(1)).",
    no_args_is_help=True,
)
app.add_typer(complaints_app, name="complaints")


@contextmanager
def _errors() -> Iterator[None]:
    from lawful.complaints.errors import ComplaintError

    try:
        with dsr_errors():
            yield
    except ComplaintError as error:
        where = f" ({error.field})" if error.field else ""
        err.print(f"[red]error[/]{where} {escape(error.message)}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


def _day(text: str | None, option: str) -> object:
    from datetime import date

    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        err.print(f"[red]error[/] {option} {escape(text)!r} is not a day like 2026-12-07")
        raise typer.Exit(1) from None


@complaints_app.command("receive")
def complaints_receive(
    subject: Annotated[str, typer.Option(help="What it is about, without naming the person.")],
    source: Annotated[str, typer.Option(help="authority or person.")] = "authority",
    authority: Annotated[str | None, typer.Option(help="e.g. CNIL, HDPA, ICO.")] = None,
    authority_reference: Annotated[str | None, typer.Option(help="Their reference.")] = None,
    received_on: Annotated[str | None, typer.Option(help="YYYY-MM-DD (default today).")] = None,
    deadline: Annotated[str | None, typer.Option(help="YYYY-MM-DD, as the authority set.")] = None,
    complainant: Annotated[str | None, typer.Option(help="Name and contact (sealed).")] = None,
    request: Annotated[
        list[str] | None, typer.Option(help="A rights request concerned (repeatable).")
    ] = None,
    map_path: MapOption = DEFAULT_MAP,
    data_dir: DataOption = None,
    operator: OperatorOption = None,
) -> None:
    """Register a complaint or an authority's inquiry, on its deadline."""
    from datetime import UTC, date, datetime, time

    from lawful.complaints.service import NewComplaint, receive_complaint

    day = _day(received_on, "--received-on")
    received = datetime.combine(day, time(12), tzinfo=UTC) if isinstance(day, date) else None
    due = _day(deadline, "--deadline")
    new = NewComplaint(subject=subject, source=source, authority=authority,
                       authority_reference=authority_reference, received_at=received,
                       deadline=due if isinstance(due, date) else None,
                       complainant=complainant, linked_requests=request or [])  # fmt: skip
    with _errors(), dsr_runtime(map_path, data_dir) as (_, runtime), runtime.sessions() as session:
        complaint = receive_complaint(session, keyring=runtime.keyring, new=new,
                                      actor=operator_name(operator))  # fmt: skip
        session.commit()
        out.print(f"received {complaint.reference}: answer by {complaint.deadline:%d %b %Y} "
                  f"({escape(complaint.deadline_basis)})")  # fmt: skip


@complaints_app.command("list")
def complaints_list(map_path: MapOption = DEFAULT_MAP, data_dir: DataOption = None) -> None:
    """Every complaint and inquiry, soonest deadline first; overdue ones marked."""
    from datetime import UTC, datetime

    from lawful.complaints.service import is_overdue, list_complaints

    today = datetime.now(UTC).date()
    with _errors(), dsr_runtime(map_path, data_dir) as (_, runtime), runtime.sessions() as session:
        table = Table("Reference", "Subject", "From", "Deadline", "Status")
        for c in list_complaints(session):
            late = " [red]overdue[/]" if is_overdue(c, today=today) else ""
            table.add_row(c.reference, escape(c.subject), c.authority or "person",
                          f"{c.deadline:%d %b %Y}{late}", c.status.value)  # fmt: skip
        out.print(table)


@complaints_app.command("note")
def complaints_note(
    reference: Annotated[str, typer.Argument(help="e.g. CP-2026-0001.")],
    text: Annotated[str, typer.Option("--text", help="The note (sealed).")],
    map_path: MapOption = DEFAULT_MAP,
    data_dir: DataOption = None,
    operator: OperatorOption = None,
) -> None:
    """Add a note, or the record of a document received or sent."""
    from lawful.complaints.service import add_note

    with _errors(), dsr_runtime(map_path, data_dir) as (_, runtime), runtime.sessions() as session:
        add_note(session, keyring=runtime.keyring, reference=reference, text=text,
                 actor=operator_name(operator))  # fmt: skip
        session.commit()
        out.print(f"noted on {reference.upper()}")


@complaints_app.command("decide")
def complaints_decide(
    reference: Annotated[str, typer.Argument(help="e.g. CP-2026-0001.")],
    status: Annotated[str, typer.Option(help="open, answered or closed.")],
    outcome: Annotated[str | None, typer.Option(help="What we answered or was decided.")] = None,
    map_path: MapOption = DEFAULT_MAP,
    data_dir: DataOption = None,
    operator: OperatorOption = None,
) -> None:
    """Record the answer or the outcome, and the status."""
    from lawful.complaints.service import decide

    with _errors(), dsr_runtime(map_path, data_dir) as (_, runtime), runtime.sessions() as session:
        complaint = decide(session, reference=reference, status=status, outcome=outcome,
                           actor=operator_name(operator))  # fmt: skip
        session.commit()
        out.print(f"{complaint.reference} is {complaint.status.value}")
