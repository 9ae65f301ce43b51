"""`lawful drp` commands: the authorized agents this business trusts (Data Rights Protocol)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from lawful.cli import app
from lawful.cli.common import OperatorOption, dsr_errors, err, operator_name, out, store_sessions

drp_app = typer.Typer(
    help="The Data Rights Protocol 1.0 (authorized agents).", no_args_is_help=True
)
agent_app = typer.Typer(help="Authorized agents allowed to send requests.", no_args_is_help=True)
drp_app.add_typer(agent_app, name="agent")
app.add_typer(drp_app, name="drp")


@contextmanager
def _agent_errors() -> Iterator[None]:
    from lawful.interop.drp.agents import AgentError

    try:
        with dsr_errors():
            yield
    except AgentError as error:
        err.print(f"[red]error[/] {escape(str(error))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


@agent_app.command("add")
def agent_add(
    agent_id: Annotated[str, typer.Argument(help="The agent's id in the directory ([A-Z_]+).")],
    name: Annotated[str, typer.Option(help="Its name, as people know it.")],
    verify_key: Annotated[str, typer.Option(help="Its Ed25519 verify key, base64.")],
    technical_contact: Annotated[str | None, typer.Option(help="Email for integration.")] = None,
    business_contact: Annotated[str | None, typer.Option(help="Email for the program.")] = None,
    web_url: Annotated[str | None, typer.Option(help="Its home page.")] = None,
    operator: OperatorOption = None,
) -> None:
    """Trust an agent (or update it): its signed requests will be accepted."""
    from lawful.interop.drp.agents import AgentEntry, add_agent

    entry = AgentEntry(agent_id, name, verify_key, web_url, None, technical_contact,
                       business_contact)  # fmt: skip
    with _agent_errors(), store_sessions() as sessions, sessions() as session:
        add_agent(session, entry=entry, actor=operator_name(operator))
        session.commit()
    out.print(f"[green]ok[/] agent {escape(agent_id)} saved")


@agent_app.command("import")
def agent_import(
    path: Annotated[Path, typer.Argument(help="A JSON list of DRP directory agent entries.")],
    operator: OperatorOption = None,
) -> None:
    """Trust every agent of a directory file (DRP 1.0 §3.05.1 entries), all or none."""
    from lawful.interop.drp.agents import AgentError, import_agents

    with _agent_errors(), store_sessions() as sessions, sessions() as session:
        try:
            entries = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise AgentError(f"{path}: not a readable JSON file ({error})") from None
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise AgentError(f"{path}: give a JSON list of agent entries (objects)")
        saved = import_agents(session, entries=entries, actor=operator_name(operator))
        session.commit()
    out.print(f"[green]ok[/] {len(saved)} agents saved")


@agent_app.command("list")
def agent_list() -> None:
    """The agents trusted: id, name, technical contact."""
    from lawful.interop.drp.repository import list_agents

    with _agent_errors(), store_sessions() as sessions, sessions() as session:
        lines = [f"{a.id}\t{a.name}\t{a.technical_contact or '-'}" for a in list_agents(session)]
    out.print("\n".join(lines) or "no agents", markup=False, highlight=False)


@agent_app.command("remove")
def agent_remove(agent_id: str, operator: OperatorOption = None) -> None:
    """Stop trusting an agent: its tokens stop working; its requests stay."""
    from lawful.interop.drp.agents import remove_agent

    with _agent_errors(), store_sessions() as sessions, sessions() as session:
        remove_agent(session, agent_id=agent_id, actor=operator_name(operator))
        session.commit()
    out.print(f"[green]ok[/] agent {escape(agent_id)} removed")
