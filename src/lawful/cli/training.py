"""`lawful training` commands: staff training attestations (lawful.training, GDPR Art. 32(4),
39(1)(b))."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from lawful.cli import app
from lawful.cli.common import OperatorOption, err, operator_name, out, web_errors

training_app = typer.Typer(
    help="Staff training: who completed which course, valid until when (GDPR Art. 32(4)).",
    no_args_is_help=True,
)
app.add_typer(training_app, name="training")


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        err.print(f"[red]error[/] {option} {escape(text)!r} is not a date like 2027-06-30")
        raise typer.Exit(1) from None


@training_app.command("record")
def training_record(
    email: Annotated[str, typer.Option(help="The staff member's sign-in email.")],
    course: Annotated[str, typer.Option(help="The course, e.g. 'GDPR basics 2026'.")],
    completed_on: Annotated[str, typer.Option("--completed-on", help="A date like 2026-11-30.")],
    expires_on: Annotated[str, typer.Option("--expires-on", help="Its last valid day.")],
    operator: OperatorOption = None,
) -> None:
    """Record that a staff member completed a course, and until when it counts."""
    from lawful.config import load_settings
    from lawful.store.opening import open_store
    from lawful.training.errors import InvalidTrainingError
    from lawful.training.service import record_training, staff_by_email

    completed, expires = _day(completed_on, "--completed-on"), _day(expires_on, "--expires-on")
    with web_errors(), open_store(load_settings()) as store, store.sessions() as session:
        try:
            user = staff_by_email(session, keyring=store.keyring, email=email)
            record_training(session, user=user, course=course, completed_on=completed,
                            expires_on=expires, actor=operator_name(operator))  # fmt: skip
        except InvalidTrainingError as error:
            err.print(f"[red]error[/] {escape(error.message)}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
        session.commit()
        out.print(f"[green]ok[/] {escape(user.name)}: {escape(course)} until {expires.isoformat()}")


@training_app.command("list")
def training_list() -> None:
    """Every staff member with their latest course and when it expires."""
    from lawful.config import load_settings
    from lawful.store.models import utcnow
    from lawful.store.opening import open_store
    from lawful.training.service import staff_training

    settings = load_settings()
    today = utcnow().date()
    with web_errors(), open_store(settings) as store, store.sessions() as session:
        table = Table("name", "role", "course", "valid until", "")
        for row in staff_training(session):
            latest = row.latest
            needed = row.user.role.value in settings.training_required_roles
            state = "valid" if row.valid_on(today) else ("[red]expired[/]" if latest else "none")
            table.add_row(row.user.name, row.user.role.value, latest.course if latest else "",
                          latest.expires_on.isoformat() if latest else "",
                          state + (" (required)" if needed else ""))  # fmt: skip
        out.print(table)
