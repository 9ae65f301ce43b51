"""Time the example-company generator at several sizes.

    .venv/bin/python bench/generate.py                      # 1,000 and 100,000 subjects
    .venv/bin/python bench/generate.py --subjects 1000000   # the 2-minute target

Each size is written into a temporary folder (deleted afterwards unless --keep is given)
and timed end to end, as `lawful demo generate` runs it.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from lawful.demo.generate import GenerationResult, generate_company

DEFAULT_SIZES = (1_000, 100_000)


def main() -> None:
    args = _arguments()
    progress = Console(stderr=True)
    results = []
    base = Path(tempfile.mkdtemp(prefix="lawful-bench-"))
    try:
        for subjects in args.subjects:
            out_dir = base / str(subjects)
            result = generate_company(
                subjects=subjects,
                out_dir=out_dir,
                seed=args.seed,
                console=progress,
                workers=args.workers,
            )
            results.append((result, _size(out_dir)))
    finally:
        if args.keep:
            progress.print(f"kept the databases under {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    Console().print(_table(results, workers=args.workers))


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--subjects", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--workers", type=int, default=None, help="default: as the CLI chooses")
    parser.add_argument("--keep", action="store_true", help="keep the generated databases")
    return parser.parse_args()


def _size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.glob("*.sqlite"))


def _table(results: list[tuple[GenerationResult, int]], *, workers: int | None) -> Table:
    cpus = os.cpu_count() or 1
    table = Table(
        title=f"lawful demo generate — {platform.python_implementation()} "
        f"{platform.python_version()}, {cpus} CPU(s), workers={workers or 'default'}"
    )
    for column in ("subjects", "rows", "seconds", "rows/s", "size on disk"):
        table.add_column(column, justify="right")
    for result, size in results:
        table.add_row(
            f"{result.subjects:,}",
            f"{result.total_rows:,}",
            f"{result.seconds:.1f}",
            f"{result.total_rows / result.seconds:,.0f}",
            f"{size / 1e6:,.0f} MB",
        )
    return table


if __name__ == "__main__":
    main()
