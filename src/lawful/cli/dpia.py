"""`lawful dpia` commands: the DPIA register (lawful.dpia, GDPR Art. 35)."""

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

dpia_app = typer.Typer(
    help="The DPIA register: screening of purposes and impact assessments (GDPR Art. 35).",
    no_args_is_help=True,
)
app.add_typer(dpia_app, name="dpia")
ReferenceArg = Annotated[str, typer.Argument(help="The DPIA, e.g. DPIA-2026-0001.")]
ReviewOption = Annotated[
    str | None,
    typer.Option("--review-on", help="Next review, a date like 2027-06-30 (Art. 35(11))."),
]


@contextmanager
def _dpia_errors() -> Iterator[None]:
    from lawful.dpia.errors import DpiaError

    try:
        with dsr_errors():
            yield
    except DpiaError as error:
        err.print(f"[red]error[/] {escape(error.message)}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        err.print(f"[red]error[/] --review-on {escape(text)!r} is not a date like 2027-06-30")
        raise typer.Exit(1) from None


@dpia_app.command("screen")
def dpia_screen(map_path: MapOption = DEFAULT_MAP) -> None:
    """Screen every purpose we control on the nine WP248 criteria (the map alone, no store)."""
    from lawful.datamap.screening import screen_map
    from lawful.datamap.taxonomy import all_categories

    datamap = load_or_exit(map_path).datamap
    table = Table("purpose", "criteria met", "DPIA", "reference")
    for pid, screening in screen_map(datamap, all_categories(datamap)).items():
        purpose = datamap.purposes[pid]
        reference = purpose.dpia.reference if purpose.dpia else None
        verdict = "required" if screening.required else "not required"
        met = ", ".join(c.value for c in screening.criteria) or "none"
        table.add_row(
            pid, met, verdict, reference or ("[red]missing[/]" if screening.required else "")
        )
    out.print(table)


@dpia_app.command("list")
def dpia_list(map_path: MapOption = DEFAULT_MAP) -> None:
    """The register: each purpose's screening and its DPIA's state and next review."""
    from lawful.dpia.service import screen_purposes

    datamap = load_or_exit(map_path).datamap
    with _dpia_errors(), store_sessions() as sessions, sessions() as session:
        rows = screen_purposes(session, datamap=datamap)
        table = Table("purpose", "screening", "DPIA", "state", "review")
        for row in rows:
            dpia = row.dpia
            table.add_row(
                row.purpose,
                "required" if row.screening.required else "not required",
                dpia.reference
                if dpia
                else (row.reference or ("[red]missing[/]" if row.missing else "")),
                dpia.state.value
                if dpia
                else ("[red]not in the register[/]" if row.reference else ""),
                dpia.review_on.isoformat() if dpia and dpia.review_on else "",
            )
        out.print(table)


@dpia_app.command("add")
def dpia_add(
    purpose: Annotated[str, typer.Option(help="The purpose of the map it assesses.")],
    criterion: Annotated[
        list[str] | None, typer.Option(help="A WP248 criterion met beyond the map's (repeatable).")
    ] = None,
    reference: Annotated[
        str | None, typer.Option(help="Its reference, when the map already names one.")
    ] = None,
    review_on: ReviewOption = None,
    map_path: MapOption = DEFAULT_MAP,
    operator: OperatorOption = None,
) -> None:
    """Open the DPIA of a purpose, in state `required`."""
    from lawful.dpia.service import open_dpia

    datamap = load_or_exit(map_path).datamap
    with _dpia_errors(), store_sessions() as sessions, sessions() as session:
        dpia = open_dpia(session, datamap=datamap, purpose=purpose, actor=operator_name(operator),
                         criteria=criterion or [], reference=reference, review_on=_day(review_on))  # fmt: skip
        session.commit()
        out.print(
            f"opened {dpia.reference} for {purpose}: {', '.join(dpia.criteria) or 'no criterion'}"
        )


@dpia_app.command("update")
def dpia_update(
    reference: ReferenceArg,
    state: Annotated[str | None, typer.Option(help="started or approved.")] = None,
    summary: Annotated[
        str | None, typer.Option(help="Risks and measures (Art. 35(7)); no personal data.")
    ] = None,
    review_on: ReviewOption = None,
    operator: OperatorOption = None,
) -> None:
    """Move a DPIA forward, write its summary or set its next review."""
    from lawful.dpia.models import DpiaState
    from lawful.dpia.service import update_dpia

    if state is not None and state not in DpiaState.__members__:
        err.print("[red]error[/] --state is started or approved")
        raise typer.Exit(1)
    with _dpia_errors(), store_sessions() as sessions, sessions() as session:
        dpia = update_dpia(session, reference=reference, actor=operator_name(operator),
                           state=DpiaState(state) if state else None, summary=summary,
                           review_on=_day(review_on))  # fmt: skip
        session.commit()
        out.print(f"{dpia.reference} is {dpia.state.value}")
