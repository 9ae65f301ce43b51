"""`lawful` commands: audit trail."""

from __future__ import annotations

import typer

from lawful.cli import app, err, out

audit_app = typer.Typer(help="The hash-chained audit trail.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the whole audit trail: exit 1 if any entry was edited, removed or reordered."""
    from lawful.config import load_settings
    from lawful.store.audit import AuditEntry, verify_chain
    from lawful.store.db import create_store_engine, session_factory

    engine = create_store_engine(load_settings().store_url())
    try:
        with session_factory(engine)() as session:
            breaks = verify_chain(session)
            count = session.query(AuditEntry).count()
    finally:
        engine.dispose()
    for chain_break in breaks:
        err.print(f"audit trail broken at {chain_break}", markup=False, highlight=False)
    if breaks:
        raise typer.Exit(1)
    out.print(f"[green]ok[/] audit trail intact: {count} entries")
