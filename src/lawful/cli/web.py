"""`lawful` commands: web: serve, staff users, the demo server."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from lawful.cli import app
from lawful.cli.common import DataOption, configured, err, out, web_errors

if TYPE_CHECKING:
    from lawful.config import Settings

user_app = typer.Typer(help="Staff accounts of the admin console.", no_args_is_help=True)
app.add_typer(user_app, name="user")
DEMO_HOST = "127.0.0.1"


@app.command()
def serve(
    map_path: Annotated[
        Path | None,
        typer.Option("--map", "-m", help="The data map (or LAWFUL_MAP_PATH).", show_default=False),
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    data_dir: DataOption = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Server processes (about one per core). Rate limits are counted by each "
            "process apart unless LAWFUL_RATE_LIMIT_REDIS_URL is set.",
        ),
    ] = 1,
) -> None:
    """Run the web server: privacy center (/privacy), admin console (/admin), API (/docs)."""
    with web_errors():
        settings, _ = configured(map_path, data_dir)
    _run_server(settings, host=host, port=port, workers=workers)


def _run_server(settings: Settings, *, host: str, port: int, workers: int = 1) -> None:
    import uvicorn

    from lawful.config import served_at
    from lawful.web.app import create_app

    settings = served_at(settings, host=host, port=port)

    # uvloop and httptools (our dependencies, so never silently missing): event loop and
    # HTTP parser written in C.
    options: dict[str, Any] = {"host": host, "port": port}
    options.update(loop="uvloop", http="httptools")
    # Idle keep-alive connections are closed after 75 s, not uvicorn's 5: longer than the
    # idle timeout of the usual proxies and clients (60 s), so a request sent on a
    # connection the server is closing at that very moment cannot happen in between.
    options.update(timeout_keep_alive=75)
    with web_errors():
        options.update(proxy_options(settings))
        if workers == 1:
            uvicorn.run(create_app(settings), **options)
            return
        _prepare_workers(settings)
        uvicorn.run("lawful.web.app:create_app", factory=True, workers=workers, **options)


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's proxy-header options: X-Forwarded-For and -Proto (the client's address for
    rate limits, HTTPS for Secure cookies) are believed only from `trusted_proxies`. uvicorn
    alone would believe them from 127.0.0.1, so any local client could pick its address and
    reset its rate limits."""
    import ipaddress

    from lawful.config import SettingsError

    for address in settings.trusted_proxies:
        try:
            ipaddress.ip_network(address, strict=False)
        except ValueError:
            raise SettingsError(
                f"LAWFUL_TRUSTED_PROXIES: {address!r} is not an IP address or CIDR range; "
                'write e.g. ["127.0.0.1", "10.0.0.0/8"]'
            ) from None
    if not settings.trusted_proxies:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": list(settings.trusted_proxies)}


def _prepare_workers(settings: Settings) -> None:
    """Worker processes build the app from the environment: pass them this command's map and
    folders, and make the embedded store and its key here, once, so no two workers race to
    create them."""
    import os

    from lawful.store.opening import open_store

    os.environ["LAWFUL_MAP_PATH"] = str(settings.map_path)
    os.environ["LAWFUL_PUBLIC_URL"] = settings.public_url
    if settings.datastore_dir is not None:
        os.environ["LAWFUL_DATASTORE_DIR"] = str(settings.datastore_dir)
    with open_store(settings):
        pass


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option(help="Sign-in email.")],
    name: Annotated[str, typer.Option(help="Full name, shown in the audit trail.")],
    role: Annotated[
        str, typer.Option(help="admin, privacy_officer, analyst or auditor (read-only).")
    ],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a staff account; the password is asked for (never passed as an argument)."""
    import sys

    from lawful.auth.errors import AuthError
    from lawful.auth.models import Role
    from lawful.auth.service import create_user
    from lawful.config import load_settings
    from lawful.store.opening import open_store

    if role not in Role.__members__:
        err.print(f"[red]error[/] unknown role {role!r}: use one of {', '.join(Role)}")
        raise typer.Exit(1)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with web_errors(), open_store(load_settings()) as store, store.sessions() as session:
        try:
            user = create_user(
                session,
                keyring=store.keyring,
                email=email,
                name=name,
                role=Role(role),
                password=password,
                actor="cli",
            )
        except AuthError as error:
            err.print(f"[red]error[/] {escape(error.message)}", highlight=False)
            raise typer.Exit(1) from None
        session.commit()
    out.print(f"[green]ok[/] created {escape(name)} ({role}), id {user.id}")


@user_app.command("remove-2fa")
def user_remove_two_factor(
    email: Annotated[str, typer.Option(help="Sign-in email of the account.")],
) -> None:
    """Remove an account's second factor (a lost phone and lost recovery codes, with no
    administrator left to do it on the Users page). Written to the audit trail."""
    from lawful.auth.repository import user_by_email_index
    from lawful.auth.second_factor import turn_off
    from lawful.auth.service import email_index
    from lawful.config import load_settings
    from lawful.store.opening import open_store

    with web_errors(), open_store(load_settings()) as store, store.sessions() as session:
        user = user_by_email_index(session, email_index(store.keyring, email))
        if user is None:
            err.print("[red]error[/] no staff account has this email: check it with the person")
            raise typer.Exit(1)
        if not user.two_factor:
            out.print(f"[yellow]nothing to do[/] {escape(user.name)} has no second factor")
            return
        turn_off(session, user=user, actor="cli")
        session.commit()
    out.print(f"[green]ok[/] second factor removed for {escape(user.name)}: they sign in with "
              "their password and may enrol again")  # fmt: skip


def _seed_history(settings: Settings, map_path: Path) -> None:
    """A past year of requests, consents, sweeps and a breach, so the console shows a working
    year on first start (`lawful.demo.history`)."""
    from lawful.datamap.loader import load_datamap
    from lawful.demo.history import seed_demo_store
    from lawful.store.models import utcnow

    with web_errors(), out.status("Seeding a past year of activity…"):
        loaded = load_datamap(map_path)
        summary = seed_demo_store(settings, datamap=loaded.datamap, now=utcnow())
    out.print(summary.describe(), highlight=False, soft_wrap=True)


def serve_demo(*, map_path: Path, out_dir: Path, port: int) -> None:
    from lawful.config import load_settings
    from lawful.web.demo import prepare_demo

    out.rule("Privacy center and admin console")
    with web_errors():
        demo = prepare_demo(
            base=load_settings(),
            map_path=map_path,
            data_dir=out_dir / "demo-data",
            store_dir=out_dir / "demo-platform",
        )
    _seed_history(demo.settings, map_path)
    for account in demo.accounts:
        out.print(
            f"  {account.role.value:<16} {account.email:<40} password: {account.password}",
            highlight=False,
            soft_wrap=True,
        )
    base = f"http://{DEMO_HOST}:{port}"
    out.print("These passwords are shown once; `lawful demo` makes new ones each run.\n")
    out.print(
        f"  privacy center  {base}/privacy\n  admin console   {base}/admin\n"
        f"  API docs        {base}/docs",
        highlight=False,
        soft_wrap=True,
    )
    if not demo.settings.smtp_host:
        out.print(
            "No mail server is set (LAWFUL_SMTP_HOST): mail to people goes to "
            f"{out_dir / 'demo-platform' / 'outbox'} and the admin console's Outbox page.",
            highlight=False,
            soft_wrap=True,
        )
    out.print("Press Ctrl+C to stop.")
    _run_server(demo.settings, host=DEMO_HOST, port=port)
