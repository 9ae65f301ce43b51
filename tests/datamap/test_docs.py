"""Every code a check can emit is documented in docs/checks.md, and nothing more."""

from __future__ import annotations

import re
from pathlib import Path

import lawful.datamap
import lawful.discovery
import lawful.engine

ROOT = Path(__file__).resolve().parents[2]


def codes_in_source() -> set[str]:
    package = Path(lawful.datamap.__file__).parent
    live = Path(lawful.engine.__file__).parent.glob("live*.py")  # `lawful check --live`
    drift = Path(lawful.discovery.__file__).parent / "drift.py"  # D013, also with --live
    text = "\n".join(p.read_text() for p in [*package.glob("*.py"), *live, drift])
    return set(re.findall(r'"([YSRLD]\d{3})"', text))


def test_every_check_code_is_documented() -> None:
    documented = set(
        re.findall(r"^\| ([YSRLD]\d{3}) \|", (ROOT / "docs" / "checks.md").read_text(), re.M)
    )
    assert codes_in_source() == documented
