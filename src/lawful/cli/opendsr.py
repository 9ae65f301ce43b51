"""`lawful opendsr` commands: the credentials of the clients that send us OpenDSR requests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.markup import escape

from lawful.cli import app
from lawful.cli.common import (
    DEFAULT_MAP,
    MapOption,
    OperatorOption,
    dsr_errors,
    dsr_runtime,
    err,
    operator_name,
    out,
)

opendsr_app = typer.Typer(help="OpenDSR 2.0, as processor for our clients.", no_args_is_help=True)
client_app = typer.Typer(help="Credentials of the clients' systems.", no_args_is_help=True)
opendsr_app.add_typer(client_app, name="client")
app.add_typer(opendsr_app, name="opendsr")


@contextmanager
def _credential_errors() -> Iterator[None]:
    from lawful.interop.opendsr.credentials import CredentialError

    try:
        with dsr_errors():
            yield
    except CredentialError as error:
        err.print(f"[red]error[/] {escape(str(error))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


@client_app.command("issue")
def client_issue(
    client: str = typer.Argument(help="The client's id in the map (`clients:`)."),
    label: str = typer.Option("OpenDSR", help="What the token is for, to tell it apart."),
    map_path: MapOption = DEFAULT_MAP,
    operator: OperatorOption = None,
) -> None:
    """Make a bearer token for a client's system; printed once, only its hash is kept."""
    from lawful.interop.opendsr.credentials import issue_credential

    with (
        _credential_errors(),
        dsr_runtime(map_path, None) as (datamap, runtime),
        runtime.sessions() as session,
    ):
        new = issue_credential(session, keyring=runtime.keyring, datamap=datamap,
                               client=client, label=label, actor=operator_name(operator))  # fmt: skip
        session.commit()
    err.print(f"[green]ok[/] token for {escape(client)} (shown once; give it to the client):")
    out.print(new.token, markup=False, highlight=False)


@client_app.command("list")
def client_list(map_path: MapOption = DEFAULT_MAP) -> None:
    """The credentials: client, token start, label, made by, when."""
    from lawful.interop.opendsr.credentials import list_credentials

    with (
        _credential_errors(),
        dsr_runtime(map_path, None) as (_, runtime),
        runtime.sessions() as session,
    ):
        lines = [f"{c.client}\t{c.prefix}…\t{c.label}\t{c.created_by}\t{c.created_at:%Y-%m-%d}"
                 for c in list_credentials(session)]  # fmt: skip
    out.print("\n".join(lines) or "no credentials", markup=False, highlight=False)


@client_app.command("revoke")
def client_revoke(
    prefix: str = typer.Argument(help="The start of the token, as `list` shows it."),
    map_path: MapOption = DEFAULT_MAP,
    operator: OperatorOption = None,
) -> None:
    """Revoke a token: the client's system is refused (401) from now on."""
    from lawful.interop.opendsr.credentials import revoke_credential

    with (
        _credential_errors(),
        dsr_runtime(map_path, None) as (_, runtime),
        runtime.sessions() as session,
    ):
        gone = revoke_credential(session, prefix=prefix.rstrip("…"), actor=operator_name(operator))
        session.commit()
    out.print(f"[green]ok[/] token {escape(gone.prefix)}… of {escape(gone.client)} revoked")
