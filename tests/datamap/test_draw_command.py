"""`lawful map draw`: the data map's picture for the RoPA annex, in SVG, PNG or DOT."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lawful.cli import app

runner = CliRunner()
FIXTURES = Path(__file__).parent / "fixtures"
HOSTILE = FIXTURES / "hostile_names.yaml"


def test_draw_writes_an_svg_without_links_for_the_annex(tmp_path: Path) -> None:
    out = tmp_path / "map.svg"
    result = runner.invoke(app, ["map", "draw", "-m", str(HOSTILE), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "1 systems, 2 datasets, 2 recipients" in result.output
    root = ET.fromstring(out.read_bytes())
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert b"xlink:href" not in out.read_bytes()  # a file has no console to link to
    assert b"cand&lt;script&gt;" in out.read_bytes()


@pytest.mark.parametrize(("name", "fmt", "start"), [
    ("map.png", None, b"\x89PNG\r\n\x1a\n"),
    ("map.dot", None, b"strict digraph datamap {"),
    ("annex", "png", b"\x89PNG\r\n\x1a\n"),
])  # fmt: skip
def test_draw_takes_the_format_from_the_option_or_the_extension(
    tmp_path: Path, name: str, fmt: str | None, start: bytes
) -> None:
    out = tmp_path / name
    extra = ["--format", fmt] if fmt else []
    result = runner.invoke(app, ["map", "draw", str(HOSTILE), "-o", str(out), *extra])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(start)


def test_an_unknown_format_is_refused_with_the_choices(tmp_path: Path) -> None:
    result = runner.invoke(app, ["map", "draw", str(HOSTILE), "-o", str(tmp_path / "m.jpg")])
    assert result.exit_code == 2
    assert "--format 'jpg' is not one of svg, png, dot" in result.output
    assert not (tmp_path / "m.jpg").exists()


def test_a_missing_dot_is_one_line_saying_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    result = runner.invoke(app, ["map", "draw", str(HOSTILE), "-o", str(tmp_path / "m.svg")])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "install the Debian package `graphviz`" in result.output


def test_an_unwritable_output_is_a_clear_error(tmp_path: Path) -> None:
    target = tmp_path / "no-such-folder" / "map.svg"
    result = runner.invoke(app, ["map", "draw", str(HOSTILE), "-o", str(target)])
    assert result.exit_code == 1
    assert f"cannot write {target}" in result.output
    assert "Traceback" not in result.output
