from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"

WriteCase = Callable[[str], Path]


@pytest.fixture
def write_case(tmp_path: Path) -> WriteCase:
    """Write `case.yaml` that includes the clean base map and adds the given YAML to it."""
    shutil.copy(FIXTURES / "base.yaml", tmp_path / "base.yaml")

    def write(body: str) -> Path:
        path = tmp_path / "case.yaml"
        path.write_text("include: [base.yaml]\n" + textwrap.dedent(body).lstrip("\n"))
        return path

    return write
