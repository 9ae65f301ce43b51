"""The `discovery.scan` job: scan the map's SQL systems (a bounded sample per table, as
`lawful scan`) and record each system's run and findings, one transaction per system.

The sample is read and classified outside any store transaction (a scan may take a while)
and dropped; only categories and counts reach the store.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from lawful.connectors.base import ConnectorError
from lawful.connectors.registry import open_connector
from lawful.datamap.models import DataMap
from lawful.discovery.scan import SAMPLE_ROWS, ScannedSystem, column_analyzer, scan_connector
from lawful.discovery.service import record_scan, record_unreachable, scannable_systems
from lawful.engine.live import schemas_named
from lawful.store.models import utcnow

logger = logging.getLogger("lawful.discovery")


def scan_and_record(
    sessions: sessionmaker[Session],
    *,
    datamap: DataMap,
    base_dir: Path,
    environ: Mapping[str, str],
    requested_by: str,
    systems: Sequence[str] | None = None,
    rows: int = SAMPLE_ROWS,
) -> list[str]:
    """Scan `systems` (default: every SQL system of the map) and record a run for each;
    returns the runs' ids. A store that cannot be read gets an `unreachable` run."""
    wanted = [s for s in scannable_systems(datamap) if systems is None or s in systems]
    run_ids = []
    for system in wanted:
        started = utcnow()
        scanned = _scan_one(datamap, system, base_dir=base_dir, environ=environ, rows=rows)
        with sessions() as session:
            if scanned is None:
                run = record_unreachable(session, system=system, started=started,
                                         requested_by=requested_by)  # fmt: skip
            else:
                run = record_scan(session, datamap=datamap, scanned=scanned, started=started,
                                  requested_by=requested_by)  # fmt: skip
            session.commit()
            run_ids.append(run.id)
    return run_ids


def record_systems(
    sessions: sessionmaker[Session],
    *,
    datamap: DataMap,
    scanned: Sequence[ScannedSystem],
    started: datetime,
    requested_by: str,
) -> list[str]:
    """Record systems already scanned (`lawful scan --record`): one run each, one
    transaction for them all; returns the runs' ids."""
    with sessions() as session:
        runs = [
            record_scan(
                session, datamap=datamap, scanned=system, started=started, requested_by=requested_by
            )
            for system in scanned
        ]
        session.commit()
        return [run.id for run in runs]


def _scan_one(
    datamap: DataMap, system: str, *, base_dir: Path, environ: Mapping[str, str], rows: int
) -> ScannedSystem | None:
    connection = datamap.systems[system].connection
    assert connection is not None  # scannable_systems keeps only connected ones
    try:
        connector = open_connector(system, connection, base_dir=base_dir, environ=environ)
    except ConnectorError as error:
        logger.warning(
            "discovery scan: system %s cannot be opened (%s)", system, type(error).__name__
        )
        return None
    try:
        connector.test_connection()
        return scan_connector(system=system, connector=connector, connection=connection,
                              rows=rows, analyzer=column_analyzer(),
                              schemas=tuple(schemas_named(datamap, system)))  # fmt: skip
    except ConnectorError as error:
        logger.warning(
            "discovery scan: system %s cannot be read (%s)", system, type(error).__name__
        )
        return None
    finally:
        connector.close()
