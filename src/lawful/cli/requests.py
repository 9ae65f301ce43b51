"""`lawful` commands: rights requests: housekeeping (lawful.requests)."""

from __future__ import annotations

import os

import typer

from lawful.cli import app
from lawful.cli.common import (
    DEFAULT_MAP,
    DataOption,
    MapOption,
    dsr_errors,
    dsr_runtime,
    err,
    out,
    web_errors,
)

requests_app = typer.Typer(help="Rights requests: housekeeping.", no_args_is_help=True)
app.add_typer(requests_app, name="requests")


@requests_app.command("sweep")
def requests_sweep(map_path: MapOption = DEFAULT_MAP, data_dir: DataOption = None) -> None:
    """Expire requests never verified in time and purge request records kept past 24 months
    (11 CCR §7101) and packages past their download period. Run it daily (cron, a timer)."""
    from lawful.config import load_settings
    from lawful.engine.datastores import registry_factory
    from lawful.requests.records import expire_unverified_requests, purge_expired_records
    from lawful.worker.jobs import build_runtime

    with dsr_errors(), dsr_runtime(map_path, data_dir) as (datamap, runtime):
        base = data_dir if data_dir is not None else map_path.resolve().parent
        requests = build_runtime(settings=load_settings(), datamap=datamap, keyring=runtime.keyring,
                                 sessions=runtime.sessions, environ=os.environ,
                                 connectors=registry_factory(datamap, base_dir=base, environ=os.environ))  # fmt: skip
        with runtime.sessions() as session:
            expired = expire_unverified_requests(session, ctx=requests.ctx)
            purged = purge_expired_records(session, ctx=requests.ctx)
            session.commit()
    out.print(f"expired {expired} unverified request(s); purged {purged.requests} request "
              f"record(s) and {purged.packages} package(s)")  # fmt: skip


@requests_app.command("index-names")
def requests_index_names() -> None:
    """Index the words of each stored name (blind indexes), so the console's queue finds
    requests received before this version by name. Safe to run again; the first search by
    name does the same."""
    from rich.progress import Progress

    from lawful.config import load_settings
    from lawful.requests.desk import count_unindexed, index_names
    from lawful.store.opening import open_store

    with web_errors(), open_store(load_settings()) as store, store.sessions() as session:
        left = count_unindexed(session)
        with Progress(console=err, transient=True) as bar:
            task = bar.add_task("indexing names", total=left)
            while done := index_names(session, keyring=store.keyring):
                session.commit()
                bar.advance(task, done)
    out.print(f"indexed the names of {left} request(s)")
