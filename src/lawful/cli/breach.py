"""`lawful` commands: breach register (lawful.breach)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

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
from lawful.datamap.models import DataMap

breach_app = typer.Typer(
    help="The breach register: incidents on the 72-hour clock (GDPR Art. 33–34).",
    no_args_is_help=True,
)
app.add_typer(breach_app, name="breach")
if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

    from lawful.engine.runtime import Runtime
MomentOption = Annotated[str | None, typer.Option(help="ISO 8601 time; without a zone, UTC.")]
CountOption = Annotated[
    bool, typer.Option("--count/--no-count", help="Count the people affected (reads the stores).")
]


def _moment(text: str | None, option: str) -> datetime | None:
    from datetime import UTC, datetime

    if text is None:
        return None
    try:
        moment = datetime.now(UTC) if text == "now" else datetime.fromisoformat(text)
    except ValueError:
        err.print(f"[red]error[/] {option} {escape(text)!r} is not a time like 2026-11-20T09:30")
        raise typer.Exit(1) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _zone() -> tzinfo:
    """The installation's zone (`LAWFUL_TIME_ZONE`), as pages and mail show moments."""
    from lawful.config import load_settings
    from lawful.formats import display_zone

    return display_zone(load_settings())


@contextmanager
def _breach_errors() -> Iterator[None]:
    from lawful.breach.drafts import DraftError
    from lawful.breach.errors import BreachError

    try:
        with dsr_errors():
            yield
    except BreachError as error:
        err.print(f"[red]error[/] {escape(error.message)}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except DraftError as error:
        err.print(f"[red]error[/] {escape(str(error))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


def _count_and_show(session: Session, datamap: DataMap, runtime: Runtime, reference: str,
                    actor: str, count: bool) -> None:  # fmt: skip
    from datetime import UTC, datetime

    from lawful.breach.service import count_affected, get_incident
    from lawful.cli.render.breach import incident_view

    if count:
        count_affected(session, datamap=datamap, datastores=runtime.datastores,
                       reference=reference, actor=actor)  # fmt: skip
    session.commit()
    out.print(incident_view(get_incident(session, reference=reference), datamap,
                            now=datetime.now(UTC), zone=_zone()))  # fmt: skip


@breach_app.command("open")
def breach_open(
    title: Annotated[str, typer.Option(help="A short title (no personal data).")],
    aware_at: Annotated[
        str | None,
        typer.Option("--aware-at", help="When we became aware (ISO 8601, UTC if no zone; `now`)."),
    ] = None,
    system: Annotated[list[str] | None, typer.Option(help="Affected system (repeatable).")] = None,
    dataset: Annotated[
        list[str] | None, typer.Option(help="Affected dataset (repeatable).")
    ] = None,
    nature: Annotated[str | None, typer.Option(help="What happened (Art. 33(3)(a)).")] = None,
    kind: Annotated[
        list[str] | None,
        typer.Option(help="confidentiality, integrity or availability (repeatable)."),
    ] = None,
    role: Annotated[
        str | None, typer.Option(help="controller or processor (default: from the datasets).")
    ] = None,
    reported_by: Annotated[
        str | None, typer.Option(help="Recipient id of the processor that reported it to us.")
    ] = None,
    reported_at: MomentOption = None,
    count: CountOption = True,
    map_path: MapOption = DEFAULT_MAP,
    data_dir: DataOption = None,
    operator: OperatorOption = None,
) -> None:
    """Register a breach: its clock starts when we became aware of it (GDPR Art. 33(1))."""
    from lawful.breach.models import OurRole
    from lawful.breach.service import open_incident

    if role is not None and role not in OurRole.__members__:
        err.print("[red]error[/] --role is controller or processor")
        raise typer.Exit(1)
    aware, reported = _moment(aware_at, "--aware-at"), _moment(reported_at, "--reported-at")
    with (
        _breach_errors(),
        dsr_runtime(map_path, data_dir) as (datamap, runtime),
        runtime.sessions() as session,
    ):
        incident = open_incident(session, datamap=datamap, title=title, became_aware_at=aware,
                                 actor=operator_name(operator), systems=system or [],
                                 datasets=dataset or [], nature=nature, kinds=kind or [],
                                 role=OurRole(role) if role else None, reported_by=reported_by,
                                 reported_to_us_at=reported)  # fmt: skip
        session.commit()
        out.print(f"opened {incident.reference}")
        _count_and_show(
            session, datamap, runtime, incident.reference, operator_name(operator), count
        )


@breach_app.command("update")
def breach_update(
    reference: Annotated[str, typer.Argument(help="The incident, e.g. BR-2026-0001.")],
    status: Annotated[str | None, typer.Option(help="open, contained or closed.")] = None,
    nature: Annotated[str | None, typer.Option(help="Art. 33(3)(a).")] = None,
    consequences: Annotated[str | None, typer.Option(help="Art. 33(3)(c).")] = None,
    measures_taken: Annotated[str | None, typer.Option(help="Art. 33(3)(d).")] = None,
    measures_proposed: Annotated[str | None, typer.Option(help="Art. 33(3)(d).")] = None,
    advice: Annotated[str | None, typer.Option(help="What people can do (Art. 34(2)).")] = None,
    occurred_from: MomentOption = None,
    occurred_until: MomentOption = None,
    risk: Annotated[str | None, typer.Option(help="unlikely, risk or high.")] = None,
    risk_reasoning: Annotated[str | None, typer.Option(help="Why that risk level.")] = None,
    exemption: Annotated[
        list[str] | None,
        typer.Option(help="Art. 34(3): unintelligible, mitigated or disproportionate."),
    ] = None,
    delay_reasons: Annotated[
        str | None, typer.Option(help="Why notified after 72 hours (Art. 33(1)).")
    ] = None,
    authority_notified_at: MomentOption = None,
    authority_reference: Annotated[
        str | None, typer.Option(help="The authority's case number.")
    ] = None,
    people_notified_at: MomentOption = None,
    clients_notified_at: MomentOption = None,
    add_system: Annotated[list[str] | None, typer.Option(help="Another affected system.")] = None,
    add_dataset: Annotated[list[str] | None, typer.Option(help="Another affected dataset.")] = None,
    note: Annotated[str | None, typer.Option(help="A note for this phase.")] = None,
    count: Annotated[
        bool, typer.Option("--count/--no-count", help="Count the people affected again.")
    ] = False,
    map_path: MapOption = DEFAULT_MAP,
    data_dir: DataOption = None,
    operator: OperatorOption = None,
) -> None:
    """Add a phase of information to an incident (GDPR Art. 33(4))."""
    from lawful.breach.models import IncidentStatus, Risk
    from lawful.breach.service import Changes, update_incident

    for value, kind, option in ((status, IncidentStatus, "--status"), (risk, Risk, "--risk")):
        if value is not None and value not in kind.__members__:
            err.print(f"[red]error[/] {option} is one of {', '.join(kind)}")
            raise typer.Exit(1)
    changes = Changes(
        status=IncidentStatus(status) if status else None, nature=nature,
        consequences=consequences, measures_taken=measures_taken,
        measures_proposed=measures_proposed, advice_to_people=advice,
        occurred_from=_moment(occurred_from, "--occurred-from"),
        occurred_until=_moment(occurred_until, "--occurred-until"),
        risk=Risk(risk) if risk else None, risk_reasoning=risk_reasoning,
        exemptions=exemption, delay_reasons=delay_reasons,
        authority_notified_at=_moment(authority_notified_at, "--authority-notified-at"),
        authority_reference=authority_reference,
        people_notified_at=_moment(people_notified_at, "--people-notified-at"),
        clients_notified_at=_moment(clients_notified_at, "--clients-notified-at"),
        add_systems=add_system or [], add_datasets=add_dataset or [],
    )  # fmt: skip
    with (
        _breach_errors(),
        dsr_runtime(map_path, data_dir) as (datamap, runtime),
        runtime.sessions() as session,
    ):
        update_incident(session, datamap=datamap, reference=reference, changes=changes,
                        actor=operator_name(operator), note=note)  # fmt: skip
        _count_and_show(session, datamap, runtime, reference, operator_name(operator), count)


@breach_app.command("show")
def breach_show(
    reference: Annotated[
        str | None, typer.Argument(help="The incident; none lists the register.")
    ] = None,
    map_path: MapOption = DEFAULT_MAP,
    data_dir: DataOption = None,
) -> None:
    """Show one incident (clock, counts, Art. 33(3) items, who to tell), or the register."""
    from datetime import UTC, datetime

    from lawful.breach.service import get_incident, list_incidents
    from lawful.cli.render.breach import incident_view, incidents_table

    now = datetime.now(UTC)
    with (
        _breach_errors(),
        dsr_runtime(map_path, data_dir) as (datamap, runtime),
        runtime.sessions() as session,
    ):
        if reference is None:
            out.print(incidents_table(list_incidents(session), now=now, zone=_zone()))
        else:
            out.print(incident_view(get_incident(session, reference=reference), datamap,
                                    now=now, zone=_zone()))  # fmt: skip


@breach_app.command("draft")
def breach_draft(
    reference: Annotated[str, typer.Argument(help="The incident, e.g. BR-2026-0001.")],
    to: Annotated[str, typer.Option("--to", help="authority, people, public or client.")],
    client: Annotated[str | None, typer.Option(help="The client to tell (--to client).")] = None,
    output_format: Annotated[str, typer.Option("--format", help="md or html.")] = "md",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write it here.")] = None,
    recipients: Annotated[
        Path | None,
        typer.Option(help="--to people: also write who to send it to (CSV, mode 0600)."),
    ] = None,
    map_path: MapOption = DEFAULT_MAP,
    data_dir: DataOption = None,
    operator: OperatorOption = None,
) -> None:
    """Draft the notification to the authority, the message to people or the client notice."""
    from datetime import UTC, datetime

    from lawful.breach.drafts import AUDIENCES, make_draft, render_draft
    from lawful.breach.service import get_incident, list_people
    from lawful.cli.render.breach import write_people_csv

    if to not in AUDIENCES or output_format not in {"md", "html"}:
        err.print(f"[red]error[/] --to is one of {', '.join(AUDIENCES)}; --format is md or html")
        raise typer.Exit(1)
    with (
        _breach_errors(),
        dsr_runtime(map_path, data_dir) as (datamap, runtime),
        runtime.sessions() as session,
    ):
        incident = get_incident(session, reference=reference)
        draft = make_draft(incident=incident, datamap=datamap, audience=to,
                           now=datetime.now(UTC), client=client, zone=_zone())  # fmt: skip
        text = render_draft(draft, kind="html" if output_format == "html" else "md")
        if recipients is not None:
            found = list_people(session, datamap=datamap, datastores=runtime.datastores,
                                reference=reference, actor=operator_name(operator))  # fmt: skip
            session.commit()
            write_people_csv(recipients, found.persons)
            err.print(f"wrote {recipients}: {found.people} people to tell")
    if output is None:
        print(text, end="")
    else:
        output.write_text(text, encoding="utf-8")
        out.print(f"wrote {output} ({len(draft.pending)} item(s) still to come)")
