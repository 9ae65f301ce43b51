"""Free text in rights requests, on a small helpdesk of real SQLite and PostgreSQL: a ticket
names another customer. The access package shows the person's own text with the other's
name, email and phone redacted (GDPR Art. 15(4)); `erase: redact` removes the person's own
identifiers from the text and keeps the rest."""

from __future__ import annotations

import csv
import io
import json
import logging
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from lawful.datamap.checks import check_datamap
from lawful.datamap.loader import load_datamap
from lawful.datamap.models import DataMap, EraseSpec, EraseStrategy
from lawful.engine.access import run_access
from lawful.engine.binding import PAYLOAD
from lawful.engine.datastores import Datastores, registry_factory
from lawful.engine.erasure import preview_erasure, run_erasure
from lawful.engine.identity import parse_identity
from lawful.engine.models import Job, JobStep
from lawful.engine.package import write_access_package
from lawful.engine.redaction import own_identifiers, redact_others
from lawful.engine.strategies import erased_value
from lawful.retention.holds import legal_holds_on
from lawful.store.crypto import Keyring

from ..support.databases import ThrowawayDatabases
from .conftest import TODAY

ANN_TICKET = (
    "Hello, this is Ann Lee (ann.lee@example.org). My neighbour Marc Dubois keeps getting my "
    "parcels, call him on 06 98 76 54 32. You can reach me on +33 6 12 34 56 78. "
    "Order 4411 never arrived."
)
# What the other customer wrote, and what identifies him: never shown to Ann, never logged.
OTHER_VALUES = ("Marc Dubois", "06 98 76 54 32", "marc.dubois@example.net")

MAP = """\
version: 1
organization:
  name: Helpdesk Example SAS
  address: {street: 1 rue de l'Exemple, postal_code: "69001", city: Lyon, country: FR}
  contact: {email: privacy@helpdesk.example}
  jurisdictions: [gdpr]
  lead_authority: {name: CNIL, country: FR, url: https://www.cnil.fr}
subjects:
  customer: {name: Customers, type: customer, minimum_age: 16}
purposes:
  support: {name: Answering customers, legal_basis: contract, subjects: [customer]}
systems:
  desk: {name: Helpdesk, owner: Support, location: FR, connection: __CONNECTION__}
datasets:
  customers:
    system: desk
    subject: customer
    identities: {email: email, phone: phone}
    purposes: [support]
    fields:
      id: {category: identifier.customer, provided_by_subject: false}
      email: {category: contact.email, erase: keep}
      phone: {category: contact.phone, erase: keep}
      full_name: {category: name, erase: keep}
  tickets:
    system: desk
    subject: customer
    purposes: [support]
    fields:
      id: {category: identifier.internal, provided_by_subject: false}
      customer_id: {category: identifier.internal, references: customers.id}
      body: {category: communication.message, erase: __REDACT__}
      channel: {category: communication.call_log, erase: keep}
"""

METADATA = sa.MetaData()
sa.Table(
    "customers",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("email", sa.String(255)),
    sa.Column("phone", sa.String(30)),
    sa.Column("full_name", sa.String(100)),
)
sa.Table(
    "tickets",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("customer_id", sa.ForeignKey("customers.id")),
    sa.Column("body", sa.Text),
    sa.Column("channel", sa.String(20)),
)
ROWS = {
    "customers": [
        {"id": 1, "email": "ann.lee@example.org", "phone": "+33612345678", "full_name": "Ann Lee"},
        {"id": 2, "email": "marc.dubois@example.net", "phone": "+33698765432", "full_name": "Marc Dubois"},
    ],
    "tickets": [
        {"id": 10, "customer_id": 1, "body": ANN_TICKET, "channel": "email"},
        {"id": 11, "customer_id": 2, "body": "Marc Dubois here: Ann Lee's parcel is with me.", "channel": "chat"},
    ],
}  # fmt: skip


class Helpdesk:
    def __init__(self, engine: sa.Engine, datamap: DataMap, base: Path, env: dict[str, str]):
        self.engine, self.datamap, self.base, self.env = engine, datamap, base, env

    def datastores(self) -> Datastores:
        return Datastores(registry_factory(self.datamap, base_dir=self.base, environ=self.env))

    def ticket(self, ticket_id: int) -> str:
        with self.engine.connect() as conn:
            body = conn.execute(sa.text("SELECT body FROM tickets WHERE id = :i"), {"i": ticket_id})
            return str(body.scalar_one())


def _helpdesk(
    backend: str,
    tmp_path: Path,
    redact: str = "redact",
    *,
    stack: list[Any],
    databases: ThrowawayDatabases | None = None,
) -> Helpdesk:
    env: dict[str, str] = {}
    if backend == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'desk.sqlite'}")
        connection = "{type: sqlite, path: desk.sqlite}"
    else:
        assert databases is not None
        url = databases("lawful_desk")
        stack.append((databases, url))
        engine = sa.create_engine(url)
        plain = url.replace("postgresql+psycopg:", "postgresql:")
        connection, env = "{type: postgresql, url_env: DESK_URL}", {"DESK_URL": plain}
    METADATA.create_all(engine)
    with engine.begin() as conn:
        for table in METADATA.sorted_tables:
            conn.execute(table.insert(), ROWS[table.name])
    path = tmp_path / "lawful.yaml"
    path.write_text(MAP.replace("__CONNECTION__", connection).replace("__REDACT__", redact))
    stack.append(engine)
    return Helpdesk(engine, load_datamap(path).datamap, tmp_path, env)


@pytest.fixture
def cleanup() -> Iterator[list[Any]]:
    stack: list[Any] = []
    yield stack
    for item in reversed(stack):
        if isinstance(item, sa.Engine):
            item.dispose()
        else:
            databases, url = item
            databases.drop(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def desk(request: pytest.FixtureRequest, tmp_path: Path, cleanup: list[Any]) -> Helpdesk:
    if request.param == "sqlite":
        return _helpdesk("sqlite", tmp_path, stack=cleanup)
    databases = request.getfixturevalue("pg_database_factory")
    return _helpdesk("postgresql", tmp_path, stack=cleanup, databases=databases)


def _package(desk: Helpdesk, sessions: sessionmaker[Session], keyring: Keyring) -> dict[str, str]:
    identity = parse_identity(["email=Ann.Lee@example.org"], datamap=desk.datamap)
    with desk.datastores() as datastores, sessions() as session:
        result = run_access(
            session,
            datamap=desk.datamap,
            identity=identity,
            datastores=datastores,
            keyring=keyring,
        )
        session.commit()
    path = write_access_package(result=result, datamap=desk.datamap, path=desk.base / "p.zip")
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name).decode() for name in archive.namelist()}


ANN_TICKET_AS_PACKAGED = (
    "Hello, this is Ann Lee (ann.lee@example.org). My neighbour [other person's name] keeps "
    "getting my parcels, call him on [other person's phone]. You can reach me on "
    "+33 6 12 34 56 78. Order 4411 never arrived."
)


def test_the_package_shows_the_persons_ticket_with_the_other_customers_name_and_phone_redacted(
    desk: Helpdesk,
    sessions: sessionmaker[Session],
    keyring: Keyring,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    files = _package(desk, sessions, keyring)

    tickets = next(d for d in json.loads(files["data.json"])["datasets"] if d["id"] == "tickets")
    assert [r["body"] for r in tickets["records"]] == [ANN_TICKET_AS_PACKAGED]
    assert tickets["redacted_in_free_text"]["count"] == 2
    assert tickets["redacted_in_free_text"]["by_type"] == {"names": 1, "phone numbers": 1}
    assert "Art. 15(4)" in tickets["redacted_in_free_text"]["why"]
    csv_rows = list(csv.DictReader(io.StringIO(files["tickets.csv"])))
    assert [r["body"] for r in csv_rows] == [ANN_TICKET_AS_PACKAGED]
    report = files["report.html"]
    assert "[other person&#39;s name]" in report
    assert "[other person&#39;s phone]" in report
    assert "ann.lee@example.org" in report
    assert "Ann Lee" in report
    assert "2 detail(s) about other people were replaced" in report
    # The other customer's details appear nowhere: not in the package, not in any log.
    for value in OTHER_VALUES:
        assert all(value not in text for text in files.values()), value
        assert value not in caplog.text


def test_own_identifiers_are_told_apart_case_and_format_blind(
    tmp_path: Path, cleanup: list[Any]
) -> None:
    desk = _helpdesk("sqlite", tmp_path, stack=cleanup)
    identity = parse_identity(["phone=06 12 34 56 78"], datamap=desk.datamap)
    own = own_identifiers(
        datamap=desk.datamap,
        identity=identity,
        values=[("name", "Zoé LEE"), ("contact.email", "ZOE@x.example")],
    )
    text = "Zoe Lee, zoe@x.example, 06.12.34.56.78; also Marc Dubois at +33 6 98 76 54 32."
    redacted, counts = redact_others(text, own=own)
    assert redacted == (
        "Zoe Lee, zoe@x.example, 06.12.34.56.78; also [other person's name] at "
        "[other person's phone]."
    )
    assert counts == {"PERSON": 1, "PHONE_NUMBER": 1}


def _erase(desk: Helpdesk, sessions: sessionmaker[Session], keyring: Keyring) -> Any:
    with desk.datastores() as datastores:
        return run_erasure(
            sessions,
            datamap=desk.datamap,
            identity=parse_identity(["email=ann.lee@example.org"], datamap=desk.datamap),
            datastores=datastores,
            keyring=keyring,
            today=TODAY,
            holds=legal_holds_on,
        )


def test_erasure_with_redact_removes_the_persons_identifiers_from_the_ticket_and_keeps_the_rest(
    desk: Helpdesk,
    sessions: sessionmaker[Session],
    keyring: Keyring,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    report = _erase(desk, sessions, keyring)

    assert report.status.value == "done"
    assert desk.ticket(10) == (
        "Hello, this is [erased name] ([erased email]). My neighbour Marc Dubois keeps getting "
        "my parcels, call him on 06 98 76 54 32. You can reach me on [erased phone]. "
        "Order 4411 never arrived."
    )
    assert desk.ticket(11) == ROWS["tickets"][1]["body"]  # the other customer's: untouched
    # The job's stored plan holds the new text sealed, never the old nor the new in clear.
    with sessions() as session:
        payloads = [s.payload_sealed for s in session.query(JobStep).all() if s.payload_sealed]
        stored = payloads + [j.identity_sealed for j in session.query(Job).all()]
    for secret in ("Ann Lee", "ann.lee@example.org", "Marc Dubois", "06 98 76 54 32", "Order 4411"):
        assert all(secret.encode() not in blob for blob in stored), secret
        assert secret not in caplog.text
    opened = [json.dumps(keyring.decrypt_json(b, context=PAYLOAD)) for b in payloads]
    assert any("[erased name]" in payload for payload in opened)  # the planned value, sealed


def test_the_dry_run_shows_the_redacted_text_that_will_be_written(
    tmp_path: Path, sessions: sessionmaker[Session], keyring: Keyring, cleanup: list[Any]
) -> None:
    desk = _helpdesk("sqlite", tmp_path, redact="{strategy: redact, value: all}", stack=cleanup)
    with desk.datastores() as datastores, sessions() as session:
        plan = preview_erasure(
            session,
            datamap=desk.datamap,
            identity=parse_identity(["email=ann.lee@example.org"], datamap=desk.datamap),
            datastores=datastores,
            keyring=keyring,
            today=TODAY,
            holds=legal_holds_on,
        )
    (tickets,) = [c for c in plan.changes if c.dataset == "tickets"]
    assert [row["body"] for row in tickets.rows] == [
        "Hello, this is [erased name] ([erased email]). My neighbour [erased name] keeps "
        "getting my parcels, call him on [erased phone]. You can reach me on [erased phone]. "
        "Order 4411 never arrived."
    ]
    assert desk.ticket(10) == ANN_TICKET  # a dry run changes nothing


def test_a_retention_sweep_redacts_every_finding_as_no_one_person_is_known() -> None:
    spec = EraseSpec(strategy=EraseStrategy.redact)
    erased = erased_value(
        spec, "Call Marc Dubois on 06 98 76 54 32.", category="x", keyring=KEYRING
    )
    assert erased == "Call [erased name] on [erased phone]."
    assert erased_value(spec, 42, category="x", keyring=KEYRING) == 42


KEYRING = Keyring.from_master(b"\x05" * 32)


def test_lawful_check_refuses_redact_on_a_field_that_is_not_free_text(tmp_path: Path) -> None:
    text = MAP.replace("__CONNECTION__", "{type: sqlite, path: d.sqlite}").replace(
        "__REDACT__", "keep"
    )
    text = text.replace(
        "full_name: {category: name, erase: keep}", "full_name: {category: name, erase: redact}"
    )
    path = tmp_path / "lawful.yaml"
    path.write_text(text)
    problems = check_datamap(load_datamap(path))
    (problem,) = [p for p in problems if p.code == "L015"]
    assert "`customers.full_name` is erased with `redact`" in problem.message
    assert str(problem.position).startswith(f"{path}:")

    marked = text.replace(
        "full_name: {category: name, erase: redact}",
        "full_name: {category: name, erase: redact, free_text: true}",
    )
    path.write_text(marked)
    assert not [p for p in check_datamap(load_datamap(path)) if p.code == "L015"]


def test_a_redact_scope_other_than_identifiers_or_all_is_refused() -> None:
    with pytest.raises(ValueError, match="`identifiers` or `all`"):
        EraseSpec(strategy=EraseStrategy.redact, value="some")
