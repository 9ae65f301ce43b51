"""`lawful` commands: post-mortem directives (lawful.directives, LIL art. 85). A death is
reported in the admin console or over the API, where the requests it creates are queued."""

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

directives_app = typer.Typer(
    help="Post-mortem directives (France, Loi Informatique et Libertés art. 85).",
    no_args_is_help=True,
)
app.add_typer(directives_app, name="directives")


@contextmanager
def _errors() -> Iterator[None]:
    from lawful.directives.errors import DirectiveError

    try:
        with dsr_errors():
            yield
    except DirectiveError as error:
        where = f" ({error.field})" if error.field else ""
        err.print(f"[red]error[/]{where} {escape(error.message)}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


@directives_app.command("record")
def directives_record(
    person_name: Annotated[str, typer.Option(help="The person's name.")],
    person_email: Annotated[str, typer.Option(help="The person's email.")],
    designee_name: Annotated[str, typer.Option(help="Who carries the directives out.")],
    designee_email: Annotated[str, typer.Option(help="Their email (they report the death).")],
    instruction: Annotated[list[str], typer.Option(help="erasure, access or task (repeatable).")],
    kind: Annotated[str, typer.Option(help="general or specific (LIL art. 85 I).")] = "specific",
    country: Annotated[str, typer.Option(help="Where the person lives: only FR.")] = "FR",
    wording: Annotated[str | None, typer.Option(help="The directive's own words.")] = None,
    map_path: MapOption = DEFAULT_MAP,
    data_dir: DataOption = None,
    operator: OperatorOption = None,
) -> None:
    """Record a person's post-mortem directives (sealed); verify them next."""
    from lawful.directives.service import NewDirective, Person, record_directive

    new = NewDirective(kind=kind, country=country, person=Person(person_name, person_email),
                       designee=Person(designee_name, designee_email),
                       instructions=instruction, wording=wording)  # fmt: skip
    with _errors(), dsr_runtime(map_path, data_dir) as (_, runtime), runtime.sessions() as session:
        directive = record_directive(session, keyring=runtime.keyring, new=new,
                                     actor=operator_name(operator))  # fmt: skip
        session.commit()
        out.print(f"recorded {directive.reference}: verify the person's identity next")


@directives_app.command("verify")
def directives_verify(
    reference: Annotated[str, typer.Argument(help="e.g. PM-2026-0001.")],
    how: Annotated[str, typer.Option(help="How the identity was checked.")],
    map_path: MapOption = DEFAULT_MAP,
    data_dir: DataOption = None,
    operator: OperatorOption = None,
) -> None:
    """Record that the person's identity was checked."""
    from lawful.directives.service import verify_directive

    with _errors(), dsr_runtime(map_path, data_dir) as (_, runtime), runtime.sessions() as session:
        directive = verify_directive(session, reference=reference, how=how,
                                     actor=operator_name(operator))  # fmt: skip
        session.commit()
        out.print(f"{directive.reference} is verified")


@directives_app.command("list")
def directives_list(map_path: MapOption = DEFAULT_MAP, data_dir: DataOption = None) -> None:
    """Every directive with its status (no names: see the admin console)."""
    from lawful.directives.service import list_directives

    with _errors(), dsr_runtime(map_path, data_dir) as (_, runtime), runtime.sessions() as session:
        table = Table("Reference", "Kind", "Asks", "Status", "Requests")
        for d in list_directives(session):
            table.add_row(d.reference, d.kind.value, ", ".join(d.instructions), d.status.value,
                          ", ".join(d.created_requests))  # fmt: skip
        out.print(table)
