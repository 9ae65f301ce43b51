"""`lawful` commands: the consent ledger (lawful.consent): check, history, expire, notices,
publish, reconsent."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

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

if TYPE_CHECKING:
    from lawful.consent.notices import ReconsentEntry
    from lawful.datamap.models import DataMap

consent_app = typer.Typer(
    help="The consent ledger: checks, a person's history, expiry, notice versions.",
    no_args_is_help=True,
)
app.add_typer(consent_app, name="consent")

SubjectOption = Annotated[
    str,
    typer.Option(
        "--subject", "-s", help="TYPE=VALUE or TYPE:VALUE, e.g. email=ann@example.org, or a "
        "bare email address or international phone number.",
    ),
]  # fmt: skip
PurposeOption = Annotated[str, typer.Option("--purpose", "-p", help="A purpose of the data map.")]


@contextmanager
def _consent_errors() -> Iterator[None]:
    """Bad input and store problems as one line each, no traceback, exit 1."""
    from lawful.consent.errors import ConsentError

    try:
        with dsr_errors():
            yield
    except ConsentError as error:
        err.print(f"[red]error[/] {escape(error.message)}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


def _subject(text: str, datamap: DataMap) -> str:
    """`email=ann@example.org` (as `lawful dsr` takes identities) or `email:ann@example.org`."""
    from lawful.consent.policy import policy_for

    kind, sep, value = text.partition("=")
    known = kind.strip() in policy_for(datamap).identity_kinds
    # A bare address may hold "=" (RFC 5322 allows it): only a known type, or no "@" at all.
    return f"{kind.strip()}:{value}" if sep and (known or "@" not in text) else text


@consent_app.command("check")
def consent_check(
    subject: SubjectOption,
    purpose: PurposeOption,
    channel: Annotated[str, typer.Option(help="email, sms, phone, post, web or push.")],
    map_path: MapOption = DEFAULT_MAP,
) -> None:
    """May this person be contacted for the purpose on the channel? The decision, the
    reason and the ledger event that decided it. Exit 0 either way; 1 on bad input."""
    from lawful.consent.service import check_consent

    with (
        _consent_errors(),
        dsr_runtime(map_path, None) as (datamap, runtime),
        runtime.sessions() as session,
    ):
        decision = check_consent(session, datamap=datamap, keyring=runtime.keyring,
                                 subject=_subject(subject, datamap), purpose=purpose,
                                 channel=channel)  # fmt: skip
    verdict = "[green]allowed[/]" if decision.allowed else "[red]denied[/]"
    out.print(f"{verdict} {decision.reason}: {escape(decision.message)}", highlight=False)
    event = decision.event
    if event is not None:
        out.print(f"deciding event {event.uid}: {event.state} at {event.at.isoformat()}")


@consent_app.command("history")
def consent_history(
    subject: SubjectOption, map_path: MapOption = DEFAULT_MAP, operator: OperatorOption = None
) -> None:
    """A person's consent events, oldest first, and their decisions now (audited)."""
    from lawful.cli.render.consent import decisions_table, history_table
    from lawful.consent.ledger_report import look_up_person
    from lawful.store.models import utcnow

    with (
        _consent_errors(),
        dsr_runtime(map_path, None) as (datamap, runtime),
        runtime.sessions() as session,
    ):
        found = look_up_person(session, datamap=datamap, keyring=runtime.keyring,
                               subject=_subject(subject, datamap),
                               actor=operator_name(operator), now=utcnow())  # fmt: skip
        out.print(history_table(found))
        session.commit()  # the audit entry of the look-up
    out.print(decisions_table(found.decisions))


@consent_app.command("expire")
def consent_expire(map_path: MapOption = DEFAULT_MAP) -> None:
    """Write an `expired` event for every consent past its end, as the daily job does."""
    from lawful.consent.expiry import record_expiries
    from lawful.store.models import utcnow

    with (
        _consent_errors(),
        dsr_runtime(map_path, None) as (_, runtime),
        runtime.sessions() as session,
    ):
        count = record_expiries(session, now=utcnow())
        session.commit()
    out.print(f"{count} consent(s) expired")


@consent_app.command("notices")
def consent_notices(map_path: MapOption = DEFAULT_MAP) -> None:
    """The published notice versions, oldest first."""
    from lawful.cli.render.consent import notices_table
    from lawful.consent.ledger_report import notice_rows

    with (
        _consent_errors(),
        dsr_runtime(map_path, None) as (_, runtime),
        runtime.sessions() as session,
    ):
        rows = notice_rows(session)
    out.print(notices_table(rows))


@consent_app.command("publish")
def consent_publish(
    version: Annotated[str, typer.Option(help="The new version, e.g. 2026-11.")],
    material: Annotated[
        bool, typer.Option("--material", help="A material change: people must consent again.")
    ] = False,
    purpose: Annotated[
        list[str] | None,
        typer.Option("--purpose", "-p", help="A purpose it affects (repeatable; default: all)."),
    ] = None,
    summary: Annotated[str | None, typer.Option(help="What changed.")] = None,
    grace_days: Annotated[
        int,
        typer.Option(
            "--grace-days",
            min=0,
            max=366,
            help="Days old consents still count after a material change (default 0).",
        ),
    ] = 0,
    map_path: MapOption = DEFAULT_MAP,
    operator: OperatorOption = None,
) -> None:
    """Publish the notice generated from the map as a new version (audited). A material
    change queues the mails asking people for fresh consent (sent by the worker, or now by
    `lawful consent ask-again`)."""
    from lawful.consent.notices import publish_notice

    with (
        _consent_errors(),
        dsr_runtime(map_path, None) as (datamap, runtime),
        runtime.sessions() as session,
    ):
        notice = publish_notice(session, datamap=datamap, actor=operator_name(operator),
                                material=material, version=version, purposes=purpose or None,
                                summary=summary, grace_days=grace_days)  # fmt: skip
        line = f"published notice {notice.version} (sha256 {notice.sha256[:16]}…)"
        session.commit()
    out.print(escape(line) + (", a material change" if material else ""), highlight=False)


@consent_app.command("ask-again")
def consent_ask_again(
    version: Annotated[str, typer.Option(help="The material notice version, e.g. 2026-11.")],
    map_path: MapOption = DEFAULT_MAP,
) -> None:
    """Send now the mails asking for fresh consent after a material change (what the worker
    does, a batch at a time). Safe to run again, or beside the worker: nobody is mailed twice."""
    from rich.progress import Progress

    from lawful.config import load_settings
    from lawful.consent.reconsent import BATCH, run_of, run_progress
    from lawful.consent.reconsent_mail import send_batch
    from lawful.requests.mail import MailError, mailer_from_settings
    from lawful.worker.jobs import reconsent_delivery

    settings = load_settings()
    with (
        _consent_errors(),
        dsr_runtime(map_path, None) as (datamap, runtime),
    ):
        with runtime.sessions() as session:
            run = run_of(session, version=version)
            if run is None:
                err.print(f"[red]error[/] no re-consent run for notice {escape(version)}: "
                          "publish it with --material first (`lawful consent notices` lists "
                          "the versions)")  # fmt: skip
                raise typer.Exit(1)
            run_id, progress = run.id, run_progress(session, run=run)
        deliver = reconsent_delivery(mailer_from_settings(settings))
        with Progress(console=err, transient=True) as bar:
            task = bar.add_task("asking again", total=progress.total, completed=progress.done)
            remaining = progress.pending
            try:
                while remaining:
                    remaining = send_batch(
                        runtime.sessions, run_id=run_id, datamap=datamap,
                        keyring=runtime.keyring, public_url=settings.public_url,
                        deliver=deliver, limit=BATCH, on_mailed=lambda: bar.advance(task),
                    )  # fmt: skip
            except MailError as error:
                err.print(f"[red]error[/] {escape(str(error))}; run the command again later")
                raise typer.Exit(1) from None
        with runtime.sessions() as session:
            found = run_of(session, version=version)
            assert found is not None
            done = run_progress(session, run=found)
    out.print(
        f"notice {escape(version)}: {done.mailed} mailed, {done.no_address} without an email "
        f"address, {done.unconfirmed} unconfirmed; answered yes {done.answered_yes}, "
        f"no {done.answered_no}, no answer yet {done.no_answer}",
        highlight=False,
    )


@consent_app.command("reconsent")
def consent_reconsent(
    purpose: PurposeOption,
    output: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write a CSV with the people's addresses here (0600)."),
    ] = None,
    map_path: MapOption = DEFAULT_MAP,
) -> None:
    """Who must be asked for consent again after a material notice change: the count and
    the consent references (no personal data); the addresses only into `--out`."""
    from lawful.consent.ledger_report import reconsent_for
    from lawful.store.models import utcnow

    with (
        _consent_errors(),
        dsr_runtime(map_path, None) as (datamap, runtime),
        runtime.sessions() as session,
    ):
        found = reconsent_for(session, datamap=datamap, keyring=runtime.keyring,
                              purpose=purpose, now=utcnow())  # fmt: skip
    if output is not None:
        _write_private(output, _reconsent_csv(found, with_subject=True))
        err.print(f"wrote {len(found)} row(s) to {escape(str(output))} (mode 0600)")
    err.print(f"{len(found)} consent(s) to renew for {escape(purpose)}")
    print(_reconsent_csv(found, with_subject=False), end="")


def _reconsent_csv(entries: list[ReconsentEntry], *, with_subject: bool) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    head = ["consent_id", "purpose", "given_at", "notice_version", "changed_at"]
    writer.writerow(["subject", *head] if with_subject else head)
    for e in entries:
        row = [e.event_uid, e.purpose, e.given_at.isoformat(), e.notice_version or "",
               e.changed_at.isoformat()]  # fmt: skip
        writer.writerow([e.subject, *row] if with_subject else row)
    return buffer.getvalue()


def _write_private(path: Path, content: str) -> None:
    """Personal data: readable by its owner only, even when the file existed before."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as file:
        file.write(content)
