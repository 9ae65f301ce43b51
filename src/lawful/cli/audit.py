"""`lawful` commands: audit trail."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lawful.cli import app
from lawful.cli.common import err, out, store_sessions

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

audit_app = typer.Typer(help="The hash-chained audit trail.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@contextmanager
def _audit_session() -> Iterator[Session]:
    """A session on the configured store, carrying the installation's audit trail (opened as
    every process opens it, `lawful.store.opening`)."""
    from lawful.config import SettingsError
    from lawful.store.migrate import StoreNotReadyError

    try:
        with store_sessions() as sessions, sessions() as session:
            yield session
    except (SettingsError, StoreNotReadyError) as error:
        err.print(f"error: {error}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


@audit_app.command("verify")
def audit_verify(
    checkpoints: Annotated[
        Path | None,
        typer.Option(help="Checkpoint file (JSONL) to compare with; default: the configured one."),
    ] = None,
) -> None:
    """Check the whole trail and compare it with the last signed checkpoint: exit 1 if an
    entry was edited, removed or reordered, the end was cut, or the chain was rebuilt."""
    from lawful.store.checkpoints import verify_trail

    with _audit_session() as session:
        check = verify_trail(session, checkpoints=checkpoints)
    for chain_break in check.breaks:
        err.print(f"audit trail broken: {chain_break}", markup=False, highlight=False)
    if not check.intact:
        raise typer.Exit(1)
    against = (
        f", {check.checkpoint.count} of them as checkpointed on {check.checkpoint.at:%Y-%m-%d %H:%M} UTC"
        if check.checkpoint
        else " (no checkpoint yet: run `lawful audit checkpoint`)"
    )
    out.print(f"[green]ok[/] audit trail intact: {check.count} entries{against}")


@audit_app.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign the trail's head (count and hash) and send it to the checkpoint file and URL."""
    from lawful.store.checkpoints import session_trail, write_checkpoint

    with _audit_session() as session:
        try:
            checkpoint = write_checkpoint(session, trail=session_trail(session))
        except OSError as error:  # a file not written or a URL that refused
            err.print(f"error: checkpoint not sent: {error}", markup=False, highlight=False)
            raise typer.Exit(1) from None
    out.print(f"checkpoint: {checkpoint.count} entries, head {checkpoint.head[:16]}…")


@audit_app.command("public-key")
def audit_public_key() -> None:
    """Print the public key (base64, Ed25519) that checks the checkpoints' signatures."""
    from lawful.store.checkpoints import session_trail

    with _audit_session() as session:
        print(session_trail(session).public_key())
