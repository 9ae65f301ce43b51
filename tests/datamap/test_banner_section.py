"""The map's `banner:` section: texts and colours of the cookie banner, checked with their
place in the file (a colour not written #rrggbb, text too faint to read)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lawful.datamap.banner import contrast
from lawful.datamap.loader import load_datamap
from lawful.datamap.problems import DataMapError

from .test_loader import ORG, write


def _problems(path: Path) -> list[str]:
    with pytest.raises(DataMapError) as caught:
        load_datamap(path)
    return [
        f"{p.position.file.name}:{p.position.line}:{p.position.col} {p.code} {p.message} — {p.hint}"
        for p in caught.value.problems
        if p.position
    ]


def test_a_colour_not_written_as_hex_is_reported_at_its_value_with_how_to_write_it(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "lawful.yaml", ORG + "banner:\n  colours:\n    button: navy\n")
    [problem] = _problems(path)
    assert problem.startswith("lawful.yaml:8:13 S002 `banner.colours.button`")
    assert '#rrggbb in quotes, e.g. "#1f4e8c"' in problem


def test_text_too_faint_for_its_background_is_refused_with_the_ratio(tmp_path: Path) -> None:
    faint = 'banner:\n  colours: {button: "#dddddd", button_text: "#ffffff"}\n'
    [problem] = _problems(write(tmp_path, "lawful.yaml", ORG + faint))
    assert problem.startswith("lawful.yaml:7:12 S002 `banner.colours`")
    assert "button_text #ffffff on button #dddddd has a contrast of 1.4:1" in problem
    assert "below 4.5:1" in problem


def test_an_unknown_banner_key_is_reported_with_the_allowed_ones(tmp_path: Path) -> None:
    [problem] = _problems(write(tmp_path, "lawful.yaml", ORG + "banner:\n  titel: Hi\n"))
    assert "`title`" in problem


def test_texts_and_colours_that_read_well_load(tmp_path: Path) -> None:
    text = 'banner:\n  title: Cookies here\n  accept_all: Yes to all\n  colours: {background: "#102030", text: "#f0f0f0", link: "#9fd0ff"}\n'
    datamap = load_datamap(write(tmp_path, "lawful.yaml", ORG + text)).datamap
    assert datamap.banner.title == "Cookies here"
    assert datamap.banner.accept_all == "Yes to all"
    assert datamap.banner.reject_all == "Reject all"
    assert datamap.banner.colours.background == "#102030"


def test_contrast_is_the_wcag_ratio() -> None:
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert contrast("#777777", "#777777") == 1.0
