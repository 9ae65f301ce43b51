from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml

from lawful.datamap.loader import LoadedMap, load_datamap

FIXTURES = Path(__file__).parent / "fixtures"
SMALL_MAP = FIXTURES / "small.yaml"

Edit = Callable[[dict[str, Any]], None]
EditMap = Callable[[Edit], LoadedMap]


@pytest.fixture
def small_map() -> LoadedMap:
    return load_datamap(SMALL_MAP)


@pytest.fixture
def edit_map(tmp_path: Path) -> EditMap:
    """Copy the small map, let the test change it as plain data, and load the copy."""

    def edit(change: Edit) -> LoadedMap:
        raw = yaml.safe_load(SMALL_MAP.read_text(encoding="utf-8"))
        change(raw)
        path = tmp_path / "edited.yaml"
        path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")
        return load_datamap(path)

    return edit


_VOID = {"meta", "link", "br", "hr", "img", "input", "col", "source", "wbr"}


class _TagBalance(HTMLParser):
    """Fails on an end tag that closes nothing open, or on elements left open."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        innermost = self.open.pop() if self.open else None
        assert innermost == tag, f"</{tag}> closes <{innermost}>"


@pytest.fixture
def assert_well_formed() -> Callable[[str], None]:
    """Check that every element of a generated page is closed in order."""

    def check(page: str) -> None:
        assert page.startswith("<!DOCTYPE html>")
        parser = _TagBalance()
        parser.feed(page)
        parser.close()
        assert parser.open == [], f"left open: {parser.open}"

    return check
