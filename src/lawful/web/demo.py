"""`lawful demo`'s server: a fresh platform store for the example company, demo staff, and
the settings that point the engine at the generated databases."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from lawful.auth.demo import DemoAccount, create_demo_staff
from lawful.complaints.service import NewComplaint, add_note, receive_complaint
from lawful.config import Settings
from lawful.datamap.loader import load_datamap
from lawful.directives.service import NewDirective, Person, record_directive, verify_directive
from lawful.requests.mail import OUTBOX_FOLDER
from lawful.store.crypto import Keyring
from lawful.store.opening import open_store
from lawful.web.demo_registers import REGISTERS_FILE, read_registers, seed_registers

STORE_FILES = ("lawful.db", "lawful.db-wal", "lawful.db-shm")


@dataclass(frozen=True)
class DemoServer:
    settings: Settings
    accounts: list[DemoAccount]


def prepare_demo(*, base: Settings, map_path: Path, data_dir: Path, store_dir: Path) -> DemoServer:
    """Start from an empty embedded store in `store_dir` (the previous demo's requests and
        mail go: the company's data was just generated anew), with one account per role, and the
    company's registers (`registers.yaml` beside the map, `lawful.web.demo_registers`)."""
    settings = base.model_copy(
        update={
            "map_path": map_path,
            "datastore_dir": data_dir,
            "data_dir": store_dir,
            "database_url": None,  # the demo always runs on the embedded store
        }
    )
    for name in STORE_FILES:
        (store_dir / name).unlink(missing_ok=True)
    shutil.rmtree(store_dir / OUTBOX_FOLDER, ignore_errors=True)
    with open_store(settings) as store, store.sessions() as session:
        accounts = create_demo_staff(session, keyring=store.keyring)
        seed_casework(session, keyring=store.keyring)
        registers = map_path.parent / REGISTERS_FILE
        if registers.is_file():
            datamap = load_datamap(map_path).datamap
            seed_registers(session, datamap=datamap, registers=read_registers(registers))
        session.commit()
    return DemoServer(settings, accounts)


DEMO_ACTOR = "demo"


def seed_casework(session: Session, *, keyring: Keyring) -> None:
    """The example company's registers: an inquiry from the CNIL about its cookie banner, and
    a French customer's post-mortem directive, verified, awaiting a death report."""
    inquiry = NewComplaint(subject="Cookie banner: refusing is harder than accepting",
                           source="authority", authority="CNIL",
                           authority_reference="DEMO-2026-001")  # fmt: skip
    complaint = receive_complaint(session, keyring=keyring, new=inquiry, actor=DEMO_ACTOR)
    add_note(session, keyring=keyring, reference=complaint.reference, actor=DEMO_ACTOR,
             text="Letter received by post; the banner's two buttons are being made equal.")  # fmt: skip
    directive = record_directive(session, keyring=keyring, actor=DEMO_ACTOR, new=NewDirective(
        kind="specific", country="FR",
        person=Person("Claire Dubois", "claire.dubois@people.example"),
        designee=Person("Paul Dubois", "paul.dubois@people.example"),
        instructions=["erasure", "access"],
        wording="Erase my customer account; give my brother a copy of my call recordings.",
    ))  # fmt: skip
    verify_directive(session, reference=directive.reference, actor=DEMO_ACTOR,
                     how="Signed letter with a copy of her identity card")  # fmt: skip
