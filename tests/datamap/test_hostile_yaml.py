"""Hostile YAML: each case ends in one located line and exit 1 — no traceback, hang or crash.

Each command runs in its own process with 200 MB of address space and, once the program is
imported, 2 s of CPU (rounded up to the second): past either, the process is killed and the
test fails on its exit code; a hang fails on the subprocess timeout.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lawful.datamap.loader import load_datamap
from lawful.datamap.problems import DataMapError

MEMORY_BYTES = 200 * 1024 * 1024
RUNNER = """
import math, resource, sys
from lawful.cli import app
used = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
budget = math.ceil(used + 2)  # 2 s of CPU for the command itself
resource.setrlimit(resource.RLIMIT_CPU, (budget, budget))
app(sys.argv[1:], prog_name="lawful")
"""
LOCATED = re.compile(r"^(?P<file>[^\s:]+):(?P<line>\d+):(?P<col>\d+): (?P<code>[YF]\d{3}) .+ — .+$")


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))


def run_lawful(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", RUNNER, *args],
        cwd=cwd,
        env={**os.environ, "COLUMNS": "500"},
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_limit_memory,
    )


def assert_one_located_line(
    result: subprocess.CompletedProcess[str], *, code: str, file: str, line: int
) -> None:
    assert result.returncode == 1, (result.returncode, result.stderr[-2000:])
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr[-2000:]
    match = LOCATED.match(lines[0])
    assert match, lines[0]
    assert (match["code"], match["file"], int(match["line"])) == (code, file, line)
    assert "Traceback" not in result.stderr + result.stdout


def billion_laughs(top_key: str) -> str:
    text = f'{top_key}:\n  - &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    for level in range(1, 10):
        repeats = ", ".join([f"*l{level - 1}"] * 9)
        text += f"  - &l{level} [{repeats}]\n"
    return text


def nested(levels: int) -> str:
    return "organization: " + "[" * levels + "]" * levels + "\n"


@pytest.mark.parametrize("command", ["check", "ropa", "serve --map"])
def test_a_billion_laughs_map_is_refused_at_the_alias_that_passes_the_limit(
    tmp_path: Path, command: str
) -> None:
    (tmp_path / "lawful.yaml").write_text(billion_laughs("subjects"))
    result = run_lawful(*command.split(), "lawful.yaml", cwd=tmp_path)
    assert_one_located_line(result, code="Y009", file="lawful.yaml", line=7)


def test_a_billion_laughs_fides_file_is_refused_by_import_fides(tmp_path: Path) -> None:
    (tmp_path / "shop.yml").write_text(billion_laughs("dataset"))
    result = run_lawful("import-fides", "shop.yml", cwd=tmp_path)
    assert_one_located_line(result, code="Y009", file="shop.yml", line=7)


def test_an_include_of_dev_zero_is_refused_at_the_include(tmp_path: Path) -> None:
    (tmp_path / "lawful.yaml").write_text("version: 1\ninclude:\n  - /dev/zero\n")
    result = run_lawful("check", "lawful.yaml", cwd=tmp_path)
    assert_one_located_line(result, code="Y006", file="lawful.yaml", line=3)


def test_an_include_of_a_named_pipe_is_refused_without_waiting_for_a_writer(
    tmp_path: Path,
) -> None:
    os.mkfifo(tmp_path / "parts.yaml")
    (tmp_path / "lawful.yaml").write_text("include: [parts.yaml]\n")
    result = run_lawful("check", "lawful.yaml", cwd=tmp_path)
    assert_one_located_line(result, code="Y006", file="lawful.yaml", line=1)


def test_an_include_of_a_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "parts").mkdir()
    (tmp_path / "lawful.yaml").write_text("include: [parts]\n")
    result = run_lawful("check", "lawful.yaml", cwd=tmp_path)
    assert_one_located_line(result, code="Y006", file="lawful.yaml", line=1)


def test_includes_larger_than_ten_megabytes_together_are_refused(tmp_path: Path) -> None:
    filler = "# " + "x" * 1000 + "\n"
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(filler * 6000)  # 6 MB each: each fits, both do not
    (tmp_path / "lawful.yaml").write_text("include:\n  - a.yaml\n  - b.yaml\n")
    result = run_lawful("check", "lawful.yaml", cwd=tmp_path)
    assert_one_located_line(result, code="Y007", file="lawful.yaml", line=3)


def test_fifty_thousand_nested_levels_end_in_one_line_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "lawful.yaml").write_text(nested(50_000))
    result = run_lawful("check", "lawful.yaml", cwd=tmp_path)
    assert_one_located_line(result, code="Y008", file="lawful.yaml", line=1)


def test_fifty_thousand_nested_block_levels_end_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "lawful.yaml").write_text("organization:\n" + "- " * 50_000 + "x\n")
    result = run_lawful("check", "lawful.yaml", cwd=tmp_path)
    assert_one_located_line(result, code="Y008", file="lawful.yaml", line=2)


@pytest.mark.parametrize("levels", [500, 10_000])
def test_hundreds_or_thousands_of_nested_levels_are_one_line_not_a_recursion_error(
    tmp_path: Path, levels: int
) -> None:
    path = tmp_path / "lawful.yaml"
    path.write_text(nested(levels))
    started = time.monotonic()
    with pytest.raises(DataMapError) as caught:
        load_datamap(path)
    assert time.monotonic() - started < 2
    [problem] = caught.value.problems
    assert problem.position is not None
    assert (problem.code, problem.position.line, problem.position.col) == ("Y008", 1, 114)


def test_a_five_thousand_digit_integer_is_refused_where_it_is_written(tmp_path: Path) -> None:
    (tmp_path / "lawful.yaml").write_text("subjects:\n  customer:\n    minimum_age: " + "9" * 5000)
    result = run_lawful("check", "lawful.yaml", cwd=tmp_path)
    assert_one_located_line(result, code="Y010", file="lawful.yaml", line=3)


def test_an_alias_inside_the_value_it_repeats_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "lawful.yaml"
    path.write_text("subjects: &loop\n  customer: *loop\n")
    with pytest.raises(DataMapError) as caught:
        load_datamap(path)
    assert [(p.code, p.position and p.position.line) for p in caught.value.problems] == [
        ("Y009", 2)
    ]


@pytest.mark.parametrize(
    "value", ["!!python/object/apply:os.system [echo]", "2024-13-01", "!custom text"]
)
def test_an_unreadable_value_is_a_located_problem_not_a_traceback(
    tmp_path: Path, value: str
) -> None:
    path = tmp_path / "lawful.yaml"
    path.write_text(f"organization:\n  name: {value}\n")
    with pytest.raises(DataMapError) as caught:
        load_datamap(path)
    assert [(p.code, p.position and p.position.line) for p in caught.value.problems] == [
        ("Y011", 2)
    ]


def test_anchors_and_aliases_within_the_limits_still_work(tmp_path: Path) -> None:
    path = tmp_path / "lawful.yaml"
    path.write_text(
        "organization:\n  name: Example SAS\n"
        "  address: &home {street: 1 rue A, city: Lyon, country: FR}\n"
        "  contact: {email: privacy@example.org}\n  jurisdictions: [gdpr]\n"
        "  establishments:\n    - {name: Lyon office, country: FR, address: *home}\n"
    )
    loaded = load_datamap(path)
    [office] = loaded.datamap.organization.establishments
    assert office.address is not None
    assert office.address.city == "Lyon"
