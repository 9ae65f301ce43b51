"""Time whole `lawful` commands, process start to exit, as a person types them.

    .venv/bin/python bench/cli.py                                  # this checkout alone
    git archive main src | tar -x -C /tmp/base                      # (or `git worktree add`)
    .venv/bin/python bench/cli.py --base /tmp/base --runs 15        # before/after, alternated

Commands: `lawful dsr access` of one person of the example company (`--subjects` people,
generated once into `--workdir`) writing the ZIP, and `lawful check` of the example map.
Each run starts the `lawful` script of this virtual environment in a new process. With
`--base`, the same commands also run with `PYTHONPATH=<base>/src` (another version of the
source, same dependencies), alternated run by run with this checkout, so both see the same
load. Each version has its own platform store (created by its first, untimed, run) and its
own bytecode cache (`PYTHONPYCACHEPREFIX`), as an installed package has its `.pyc` files.
The load average is printed with the figures: the other processes on the machine move the
numbers more than anything else.
"""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "contact-center" / "lawful.yaml"
LAWFUL = Path(sys.executable).parent / "lawful"


def main() -> None:
    args = _arguments()
    work = args.workdir
    data = _example(work, args.subjects)
    email = _someone(data)
    versions = {"this checkout": None} | ({"base": args.base} if args.base else {})
    commands = {
        "dsr access": ["dsr", "access", "-m", str(EXAMPLE), "-i", f"email={email}",
                       "-o", str(work / "access.zip")],
        "check": ["check", "-m", str(EXAMPLE)],
    }  # fmt: skip
    timings: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for name, base in versions.items():  # first runs: store created, bytecode written
        for command in commands.values():
            _run(command, _environ(work, name, base, data))
    print(f"load average before: {_load()}", file=sys.stderr)
    for _ in range(args.runs):
        for name, base in versions.items():
            for label, command in commands.items():
                timing = _run(command, _environ(work, name, base, data))
                timings.setdefault((name, label), []).append(timing)
    print(f"load average after: {_load()}", file=sys.stderr)
    _report(timings, runs=args.runs)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=10, help="Timed runs of each command.")
    parser.add_argument(
        "--base", type=Path, help="A folder with the `src` of another version, to compare."
    )
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "lawful-bench" / "cli"
    )
    return parser.parse_args()


def _example(work: Path, subjects: int) -> Path:
    data = work / f"demo-{subjects}"
    if not (data / "ats.sqlite").exists():
        demo = ["demo", "generate", "--subjects", str(subjects), "--out", str(data)]
        subprocess.run([str(LAWFUL), *demo], check=True, stdout=subprocess.DEVNULL)
    return data


def _someone(data: Path) -> str:
    with sqlite3.connect(data / "ats.sqlite") as db:
        row = db.execute("SELECT email FROM candidates ORDER BY candidate_id LIMIT 1").fetchone()
    return str(row[0])


def _environ(work: Path, name: str, base: Path | None, data: Path) -> dict[str, str]:
    slug = name.replace(" ", "-")
    environ = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    environ |= {
        "LAWFUL_DATA_DIR": str(work / f"store-{slug}"),
        "LAWFUL_DATASTORE_DIR": str(data),
        "PYTHONPYCACHEPREFIX": str(work / f"pycache-{slug}"),
    }
    environ.pop("LAWFUL_DATABASE_URL", None)
    if base is not None:
        environ["PYTHONPATH"] = str(base.resolve() / "src")
    return environ


def _run(command: list[str], environ: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([str(LAWFUL), *command], env=environ, capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"`lawful {' '.join(command[:2])}` failed:\n{done.stderr.decode()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _report(timings: dict[tuple[str, str], list[tuple[float, float]]], *, runs: int) -> None:
    print("| version | command | wall median s | wall min s | CPU median s | runs |")
    print("|---|---|---:|---:|---:|---:|")
    for (name, label), values in timings.items():
        walls, cpus = [w for w, _ in values], [c for _, c in values]
        print(f"| {name} | `lawful {label}` | {statistics.median(walls):.3f} | "
              f"{min(walls):.3f} | {statistics.median(cpus):.3f} | {runs} |")  # fmt: skip


if __name__ == "__main__":
    main()
