"""Time the legal-hold lookup an erasure makes (`legal_holds_on`) with many active holds.

    .venv/bin/python bench/holds.py --holds 10 3000
    PYTHONPATH=<another tree>/src .venv/bin/python bench/holds.py --holds 10 3000   # compare

For each size, a fresh SQLite platform store (built by the migrations) gets that many person
holds on other people (an email and a phone number each, as `lawful hold add` places them);
then a person on no hold is looked up `--samples` times with five collected records, as an
erasure does before it changes anything. Prints the median and the slowest lookup.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, cast

from sqlalchemy.orm import Session

from lawful.datamap.loader import load_datamap
from lawful.engine.collect import Collected
from lawful.engine.identity import parse_identity
from lawful.retention.holds import legal_holds_on
from lawful.retention.models import HoldScope
from lawful.retention.service import add_legal_hold
from lawful.store.crypto import Keyring
from lawful.store.db import create_store_engine
from lawful.store.migrate import upgrade_database

EXAMPLE_MAP = Path(__file__).parents[1] / "examples" / "contact-center" / "lawful.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--holds", type=int, nargs="+", default=[10, 3000])
    parser.add_argument("--samples", type=int, default=30)
    args = parser.parse_args()
    for holds in args.holds:
        median, slowest = _measure(holds, args.samples)
        print(f"{holds} holds: median {median:.2f} ms, slowest {slowest:.2f} ms")


def _measure(holds: int, samples: int) -> tuple[float, float]:
    datamap = load_datamap(EXAMPLE_MAP).datamap
    keyring = Keyring.from_master(b"k" * 32)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/store.db"
        upgrade_database(url=url)
        engine = create_store_engine(url)
        with Session(engine) as session:
            for n in range(holds):
                values = [f"email=p{n}@example.org", f"phone=+3361234{n:05d}"]
                add_legal_hold(session, keyring=keyring, datamap=datamap, scope=HoldScope.person,
                               reason="Claim", owner="Counsel", actor="bench",
                               people=[parse_identity(values, datamap=datamap)])  # fmt: skip
            session.commit()
        person = parse_identity(["email=nobody@example.org"], datamap=datamap)
        records: dict[str, dict[Any, Any]] = {"candidates": {key: {} for key in range(5)}}
        collected = Collected(plan=cast(Any, None), records=records)
        times = []
        for _ in range(samples):
            with Session(engine) as session:
                began = time.perf_counter()
                legal_holds_on(session, keyring=keyring, identity=person, collected=collected)
                times.append((time.perf_counter() - began) * 1000)
        engine.dispose()
    return statistics.median(times), max(times)


if __name__ == "__main__":
    main()
