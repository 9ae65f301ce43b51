"""`lawful processors` commands: the processor register (lawful.processors, GDPR Art. 28)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from lawful.cli import app
from lawful.cli.common import (
    DEFAULT_MAP,
    MapOption,
    OperatorOption,
    dsr_errors,
    err,
    load_or_exit,
    operator_name,
    out,
    store_sessions,
)

processors_app = typer.Typer(
    help="Processors, their agreements and changes of sub-processor (GDPR Art. 28).",
    no_args_is_help=True,
)
app.add_typer(processors_app, name="processors")
RecipientArg = Annotated[str, typer.Argument(help="The processor's recipient id in the map.")]


@contextmanager
def _errors() -> Iterator[None]:
    from lawful.processors.errors import ProcessorError

    try:
        with dsr_errors():
            yield
    except ProcessorError as error:
        err.print(f"[red]error[/] {escape(error.message)}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        err.print(f"[red]error[/] {option} {escape(text)!r} is not a date like 2027-06-30")
        raise typer.Exit(1) from None


@processors_app.command("list")
def processors_list(map_path: MapOption = DEFAULT_MAP) -> None:
    """Every processor of the map with its agreement, and the notices not yet sent."""
    from lawful.processors.repository import unsent_count
    from lawful.processors.service import register

    datamap = load_or_exit(map_path).datamap
    with _errors(), store_sessions() as sessions, sessions() as session:
        table = Table("processor", "role", "agreement", "review", "clients")
        for row in register(session, datamap=datamap):
            agreement = row.agreement
            table.add_row(row.recipient, row.declared.role.value,
                          agreement.signed_on.isoformat() if agreement else "[red]none[/]",
                          agreement.review_on.isoformat() if agreement and agreement.review_on else "",
                          ", ".join(row.clients))  # fmt: skip
        out.print(table)
        out.print(f"{unsent_count(session)} notice(s) to clients not yet recorded as sent")


@processors_app.command("agreement")
def processors_agreement(
    recipient: RecipientArg,
    signed_on: Annotated[str, typer.Option("--signed-on", help="A date like 2025-04-01.")],
    authorisation: Annotated[
        str, typer.Option(help="general or specific (Art. 28(2)).")
    ] = "general",
    safeguards: Annotated[
        str | None, typer.Option(help="Transfer safeguards (default: the map's).")
    ] = None,
    review_on: Annotated[str | None, typer.Option("--review-on", help="Next review.")] = None,
    map_path: MapOption = DEFAULT_MAP,
    operator: OperatorOption = None,
) -> None:
    """Record the Art. 28(3) agreement with a processor of the map."""
    from lawful.processors.models import Authorisation
    from lawful.processors.service import record_agreement

    if authorisation not in Authorisation.__members__:
        err.print("[red]error[/] --authorisation is general or specific")
        raise typer.Exit(1)
    signed, review = (
        _day(signed_on, "--signed-on"),
        _day(review_on, "--review-on") if review_on else None,
    )
    datamap = load_or_exit(map_path).datamap
    with _errors(), store_sessions() as sessions, sessions() as session:
        record_agreement(session, datamap=datamap, recipient=recipient, signed_on=signed,
                         authorisation=Authorisation(authorisation), safeguards=safeguards,
                         review_on=review, actor=operator_name(operator))  # fmt: skip
        session.commit()
    out.print(f"[green]ok[/] agreement with {recipient} recorded")


@processors_app.command("change")
def processors_change(
    recipient: RecipientArg,
    kind: Annotated[str, typer.Option(help="added, replaced or removed.")],
    description: Annotated[str, typer.Option(help="What changes; no personal data.")],
    effective_on: Annotated[str, typer.Option("--effective-on", help="When it takes effect.")],
    map_path: MapOption = DEFAULT_MAP,
    operator: OperatorOption = None,
) -> None:
    """Announce a change of sub-processor: prints the notice owed to each client it touches."""
    from lawful.processors.models import ChangeKind
    from lawful.processors.service import announce_change

    if kind not in ChangeKind.__members__:
        err.print("[red]error[/] --kind is added, replaced or removed")
        raise typer.Exit(1)
    effective = _day(effective_on, "--effective-on")
    datamap = load_or_exit(map_path).datamap
    with _errors(), store_sessions() as sessions, sessions() as session:
        change = announce_change(session, datamap=datamap, recipient=recipient, kind=ChangeKind(kind),
                                 description=description, effective_on=effective,
                                 actor=operator_name(operator))  # fmt: skip
        session.commit()
        for notice in change.notices:
            out.print(f"[bold]notice {notice.id} to {notice.client}[/]")
            out.print(notice.text, markup=False, highlight=False)
        if not change.notices:
            out.print("no client is owed a notice: this processor serves only our own processing")


@processors_app.command("sent")
def processors_sent(
    notice: Annotated[int, typer.Argument(help="The notice's number.")],
    operator: OperatorOption = None,
) -> None:
    """Record a notice as sent to its client."""
    from lawful.processors.service import mark_sent

    with _errors(), store_sessions() as sessions, sessions() as session:
        found = mark_sent(session, notice_id=notice, actor=operator_name(operator))
        session.commit()
        out.print(f"[green]ok[/] notice {notice} to {found.client} recorded as sent")
