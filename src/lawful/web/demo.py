"""`lawful demo`'s server: a fresh platform store for the example company, demo staff, and
the settings that point the engine at the generated databases."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from lawful.auth.demo import DemoAccount, create_demo_staff
from lawful.config import Settings
from lawful.datamap.loader import load_datamap
from lawful.requests.mail import OUTBOX_FOLDER
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
        registers = map_path.parent / REGISTERS_FILE
        if registers.is_file():
            datamap = load_datamap(map_path).datamap
            seed_registers(session, datamap=datamap, registers=read_registers(registers))
        session.commit()
    return DemoServer(settings, accounts)
