from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from lawful.demo.generate import generate_company

EXAMPLE_MAP = Path(__file__).parents[2] / "examples" / "contact-center" / "lawful.yaml"


@pytest.fixture(scope="session")
def small_company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example company with 200 people (`lawful demo generate --subjects 200`); tests
    that change it work on a copy."""
    out = tmp_path_factory.mktemp("scan_company")
    generate_company(
        subjects=200, out_dir=out, seed=11, console=Console(file=io.StringIO()), workers=1
    )
    return out
