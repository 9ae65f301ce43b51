"""Fill the example company's databases with deterministic fake data.

Each system of `examples/contact-center/lawful.yaml` becomes one SQLite file in `out_dir`.
The same `subjects` and `seed` give the same rows, whether the families of tables are
generated in one process or spread over several. Files are built under a temporary name
and renamed into place only when every database is complete.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.queues import Queue
from pathlib import Path
from time import perf_counter

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from lawful.datamap.loader import load_datamap
from lawful.datamap.models import DataMap
from lawful.demo.fake import Pools, build_pools
from lawful.demo.families import FAMILIES, Family
from lawful.demo.indexes import add_identity_indexes
from lawful.demo.plan import FamilyContext, Plan
from lawful.demo.schema import SYSTEMS, database_file
from lawful.demo.writer import DatabaseWriter, Reporter, TableKey, partial_path

PARALLEL_FROM = 50_000  # subjects
EXAMPLE_MAP = Path(__file__).resolve().parents[3] / "examples" / "contact-center" / "lawful.yaml"


class DemoError(Exception):
    """The example data cannot be generated; the message says why and what to do."""


@dataclass(frozen=True)
class TableCount:
    system: str
    table: str
    rows: int


@dataclass(frozen=True)
class GenerationResult:
    out_dir: Path
    subjects: int
    seed: int
    tables: tuple[TableCount, ...]
    seconds: float

    @property
    def total_rows(self) -> int:
        return sum(count.rows for count in self.tables)

    def databases(self) -> list[Path]:
        return [self.out_dir / database_file(system) for system in SYSTEMS]

    def summary(self) -> str:
        lines = [
            f"Generated {self.subjects:,} subjects (seed {self.seed}) into {self.out_dir} "
            f"in {self.seconds:.1f} s:"
        ]
        lines += [
            f"  {database_file(c.system):<20} {c.table:<28} {c.rows:>12,}" for c in self.tables
        ]
        lines.append(f"  {'total':<49} {self.total_rows:>12,} rows")
        return "\n".join(lines)


def generate_company(
    *,
    subjects: int,
    out_dir: Path,
    seed: int,
    console: Console,
    workers: int | None = None,
    datamap: DataMap | None = None,
) -> GenerationResult:
    """Write one SQLite database per system of the example company into `out_dir`.

    `workers` processes share the work (default: one for small runs, else up to 2, one per
    CPU); the rows do not depend on it. Each email identity of `datamap` (default: the
    example map) gets the index case-blind matching needs. Existing databases of the same
    names are replaced only once every database is complete.
    """
    if subjects < 1:
        raise DemoError(f"cannot generate {subjects} subjects: ask for at least 1")
    started = perf_counter()
    datamap = datamap or _example_map()
    _prepare(out_dir)
    plan = Plan.for_subjects(subjects=subjects, seed=seed)
    pools = build_pools(seed)
    processes = workers or _default_workers(subjects)
    try:
        with _progress(console) as bars:
            counts = _run(plan=plan, pools=pools, out_dir=out_dir, bars=bars, workers=processes)
        add_identity_indexes(
            datamap, files={system: partial_path(out_dir, system) for system in SYSTEMS}
        )
    except BaseException:
        _discard_partials(out_dir)
        raise
    for system in SYSTEMS:
        os.replace(partial_path(out_dir, system), out_dir / database_file(system))
    tables = tuple(
        TableCount(system, table.name, counts[(system, table.name)])
        for system, system_tables in SYSTEMS.items()
        for table in system_tables
    )
    return GenerationResult(out_dir, subjects, seed, tables, perf_counter() - started)


def _default_workers(subjects: int) -> int:
    """Two processes when there is enough work to repay starting them (about a second)."""
    return 1 if subjects < PARALLEL_FROM else min(2, os.cpu_count() or 1)


def _example_map() -> DataMap:
    if not EXAMPLE_MAP.exists():
        raise DemoError(
            f"the example data map is not at {EXAMPLE_MAP}: run from a source checkout of Lawful"
        )
    return load_datamap(EXAMPLE_MAP).datamap


def _prepare(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise DemoError(f"{out_dir} is a file, not a folder: choose a folder with --out")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = out_dir / ".lawful-write-test"
        probe.touch()
        probe.unlink()
    except OSError as error:
        raise DemoError(
            f"cannot write into {out_dir}: {error.strerror or error}; "
            "choose another folder with --out"
        ) from None


def _discard_partials(out_dir: Path) -> None:
    for system in SYSTEMS:
        partial_path(out_dir, system).unlink(missing_ok=True)


# --- progress ---------------------------------------------------------------------------------


class _Bars:
    """One progress bar per table; totals are only known once a family is done."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._tasks: dict[TableKey, TaskID] = {
            (system, table.name): progress.add_task(f"{system}.{table.name}", total=None)
            for family in FAMILIES.values()
            for system in family.systems
            for table in SYSTEMS[system]
        }
        self._finished: set[TableKey] = set()

    def advance(self, system: str, table: str, rows: int) -> None:
        if (system, table) not in self._finished:  # a late message from a finished worker
            self._progress.advance(self._tasks[(system, table)], rows)

    def finish(self, counts: dict[TableKey, int]) -> None:
        for key, rows in counts.items():
            self._finished.add(key)
            self._progress.update(self._tasks[key], total=max(rows, 1), completed=rows)


@contextmanager
def _progress(console: Console) -> Iterator[_Bars]:
    columns = (
        TextColumn("{task.description:<34}"),
        BarColumn(),
        TextColumn("{task.completed:>12,.0f} rows"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        yield _Bars(progress)


# --- running the families ---------------------------------------------------------------------


def _run(
    *, plan: Plan, pools: Pools, out_dir: Path, bars: _Bars, workers: int
) -> dict[TableKey, int]:
    counts: dict[TableKey, int] = {}
    if workers <= 1:
        for family in FAMILIES.values():
            done = _run_family(family, plan=plan, pools=pools, out_dir=out_dir, reporter=bars)
            bars.finish(done)
            counts.update(done)
        return counts
    return _run_in_processes(plan=plan, pools=pools, out_dir=out_dir, bars=bars, workers=workers)


def _run_family(
    family: Family, *, plan: Plan, pools: Pools, out_dir: Path, reporter: Reporter
) -> dict[TableKey, int]:
    writer = DatabaseWriter(out_dir=out_dir, systems=family.systems, reporter=reporter)
    try:
        family.generate(FamilyContext(plan=plan, pools=pools, writer=writer))
    except BaseException:
        writer.abort()
        raise
    return writer.close()


def _run_in_processes(
    *, plan: Plan, pools: Pools, out_dir: Path, bars: _Bars, workers: int
) -> dict[TableKey, int]:
    # `spawn`: forking a process that runs the progress thread is unsafe.
    context = multiprocessing.get_context("spawn")
    messages: Queue[tuple[str, str, int]] = context.Queue()
    counts: dict[TableKey, int] = {}
    by_cost = sorted(FAMILIES.values(), key=lambda family: -family.cost)
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_init_worker, initargs=(messages,)
    ) as pool:
        futures: list[Future[dict[TableKey, int]]] = [
            pool.submit(_family_in_worker, family.name, plan, pools, out_dir) for family in by_cost
        ]
        try:
            _collect(futures, messages, bars, counts)
        except BaseException:
            for future in futures:
                future.cancel()  # families not started yet; running ones finish first
            raise
    return counts


def _collect(
    futures: list[Future[dict[TableKey, int]]],
    messages: Queue[tuple[str, str, int]],
    bars: _Bars,
    counts: dict[TableKey, int],
) -> None:
    pending = set(futures)
    while pending:
        _drain(messages, bars, wait=0.1)
        for future in [f for f in pending if f.done()]:
            pending.discard(future)
            done = future.result()  # re-raises a worker's error here
            _drain(messages, bars, wait=0)
            bars.finish(done)
            counts.update(done)


def _drain(messages: Queue[tuple[str, str, int]], bars: _Bars, *, wait: float) -> None:
    try:
        while True:
            system, table, rows = messages.get(timeout=wait) if wait else messages.get_nowait()
            bars.advance(system, table, rows)
            wait = 0
    except queue.Empty:
        return


class _QueueReporter:
    def __init__(self, messages: Queue[tuple[str, str, int]]) -> None:
        self._messages = messages

    def advance(self, system: str, table: str, rows: int) -> None:
        self._messages.put((system, table, rows))


_worker_reporter: _QueueReporter | None = None


def _init_worker(messages: Queue[tuple[str, str, int]]) -> None:
    global _worker_reporter
    _worker_reporter = _QueueReporter(messages)


def _family_in_worker(name: str, plan: Plan, pools: Pools, out_dir: Path) -> dict[TableKey, int]:
    assert _worker_reporter is not None, "worker started without its initializer"
    return _run_family(
        FAMILIES[name], plan=plan, pools=pools, out_dir=out_dir, reporter=_worker_reporter
    )
