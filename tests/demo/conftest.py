from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from lawful.datamap.loader import LoadedMap, load_datamap
from lawful.demo.generate import GenerationResult, generate_company

EXAMPLE_MAP = Path(__file__).resolve().parents[2] / "examples" / "contact-center" / "lawful.yaml"


@pytest.fixture(scope="session")
def example_map() -> LoadedMap:
    return load_datamap(EXAMPLE_MAP)


@pytest.fixture(scope="session")
def company(tmp_path_factory: pytest.TempPathFactory) -> GenerationResult:
    """The example company with 1,000 subjects, generated once for the read-only tests."""
    return generate_company(
        subjects=1_000,
        out_dir=tmp_path_factory.mktemp("company"),
        seed=7,
        console=Console(file=io.StringIO()),
        workers=1,
    )
