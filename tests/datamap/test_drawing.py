"""The data map drawn by Graphviz: every system, dataset, reference and recipient is in the
picture, names from the map stay text whatever they hold, and a missing or slow `dot` is a
clear error."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from lawful.datamap.drawing import (
    DrawingError,
    clean_svg,
    draw_map,
    flows,
    map_dot,
    recipient_safeguard,
    render,
)
from lawful.datamap.loader import load_datamap
from lawful.datamap.models import DataMap

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "contact-center" / "lawful.yaml"
SVG = "{http://www.w3.org/2000/svg}"
HREF = "{http://www.w3.org/1999/xlink}href"


def _link(kind: str, ident: str) -> str:
    return f"/admin/map/{kind}s/{ident}"


def _hostile() -> DataMap:
    return load_datamap(FIXTURES / "hostile_names.yaml").datamap


def _texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def test_the_example_map_is_drawn_with_every_system_dataset_and_recipient() -> None:
    datamap = load_datamap(EXAMPLE).datamap
    root = ET.fromstring(draw_map(datamap, link=_link))
    links = {a.get(HREF) for a in root.iter(f"{SVG}a")}
    assert {_link("dataset", d) for d in datamap.datasets} <= links
    assert {_link("system", s) for s in datamap.systems} <= links
    assert {_link("recipient", r) for r in datamap.recipients} <= links
    texts = _texts(root)
    assert "Recipients in United States (outside the EEA)" in texts
    assert any("SCCs (Art. 46(2)(c))" in t for t in texts)  # AdMosaic's safeguard
    # invoices reference contracts: the arrow goes the way the engine follows it
    titles = {t.text for t in root.iter(f"{SVG}title")}
    assert "dataset/contracts&#45;&gt;dataset/invoices" in titles or (
        "dataset/contracts->dataset/invoices" in titles
    )


def test_hostile_names_stay_text_and_links_stay_on_the_map_pages() -> None:
    svg = draw_map(_hostile(), link=_link).decode()
    root = ET.fromstring(svg)
    tags = {element.tag.removeprefix(SVG) for element in root.iter()}
    assert tags <= {"svg", "g", "title", "polygon", "polyline", "path", "ellipse", "text", "a"}
    for element in root.iter():
        assert not [name for name in element.attrib if name.lower().startswith("on")]
    hrefs = [a.get(HREF) for a in root.iter(f"{SVG}a") if a.get(HREF) is not None]
    assert len(hrefs) >= 5  # each node links to its page (edges carry only a tooltip)
    assert all(re.fullmatch(r"/admin/map/[a-z]+s/[a-z_]+", h or "") for h in hrefs), hrefs
    texts = _texts(root)
    assert "cand<script>alert(1)</script>" in texts  # drawn as text, never as markup
    assert 'apps" URL="javascript:alert(2)"' in texts
    assert any('Shield <b>Corp</b> "Inc." ☂' in t for t in texts)
    assert any("Ünïcødé 人事部" in t for t in texts)
    assert "<script" not in svg
    assert "<b>" not in svg


def test_a_cycle_of_references_and_a_self_reference_are_drawn() -> None:
    root = ET.fromstring(draw_map(_hostile()))
    titles = {(t.text or "").replace("&#45;&gt;", "->") for t in root.iter(f"{SVG}title")}
    assert "dataset/candidates->dataset/applications" in titles
    assert "dataset/applications->dataset/candidates" in titles
    assert "dataset/candidates->dataset/candidates" in titles


def test_a_transfer_on_an_invalid_safeguard_is_shown_as_not_holding() -> None:
    datamap = _hostile()
    assert recipient_safeguard(datamap, "shield_corp") == (
        "Privacy Shield: invalid (C-311/18)",
        False,
    )
    assert recipient_safeguard(datamap, "ovh_like") == ("within the EEA", True)
    found = {(f.system, f.recipient) for f in flows(datamap)}
    assert found == {("ats", "shield_corp"), ("ats", "ovh_like")}


def test_the_dot_text_quotes_every_name_so_dot_reads_one_graph() -> None:
    source = map_dot(_hostile())
    assert source.count("digraph") == 1 + source.count("digraph x")  # only inside a label
    root = ET.fromstring(render(source, fmt="svg"))
    nodes = [g for g in root.iter(f"{SVG}g") if g.get("class") == "node"]
    assert len(nodes) == 5  # one system, two datasets, two recipients: nothing injected


def test_clean_svg_drops_scripts_handlers_styles_and_foreign_links() -> None:
    dirty = (
        '<?xml version="1.0"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x.dtd">'
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        "<script>alert(1)</script><foreignObject><p>x</p></foreignObject>"
        '<g onclick="alert(2)" style="x"><a xlink:href="javascript:alert(3)"><text>a</text></a>'
        '<a xlink:href="/admin/map/datasets/ok"><text onmouseover="alert(4)">b</text></a>'
        '<a href="https://elsewhere.example/"><text>c</text></a></g></svg>'
    )
    clean = clean_svg(dirty)
    assert "script" not in clean
    assert "foreignObject" not in clean
    assert "onclick" not in clean
    assert "onmouseover" not in clean
    assert "style" not in clean
    assert "javascript" not in clean
    assert "elsewhere.example" not in clean
    assert 'xlink:href="/admin/map/datasets/ok"' in clean


def test_svg_with_internal_entities_is_read_without_expanding_them() -> None:
    bomb = (
        '<!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        '<svg xmlns="http://www.w3.org/2000/svg"><text>x</text></svg>'
    )
    assert clean_svg(bomb).endswith("<text>x</text></svg>")


def test_a_missing_dot_program_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:  # fmt: skip
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(DrawingError, match=r"install the Debian package `graphviz`"):
        draw_map(_hostile())
    # the DOT text needs no Graphviz at all
    assert draw_map(_hostile(), fmt="dot").startswith(b"strict digraph datamap {")


def test_a_layout_slower_than_the_timeout_is_stopped_with_a_clear_error() -> None:
    with pytest.raises(DrawingError, match=r"more than 1e-06 s to lay out"):
        render(map_dot(load_datamap(EXAMPLE).datamap), fmt="svg", timeout=0.000001)


def test_anything_but_an_svg_picture_is_refused() -> None:
    for text in ("<html><body>x</body></html>", "not xml at all <", '<svg xmlns="x">&e;</svg>'):
        with pytest.raises(DrawingError, match="did not write an SVG picture"):
            clean_svg(text)


def test_pictures_drawn_at_once_by_several_threads_are_all_whole_and_identical() -> None:
    from concurrent.futures import ThreadPoolExecutor

    datamap = _hostile()
    with ThreadPoolExecutor(max_workers=6) as pool:
        pictures = list(pool.map(lambda _: draw_map(datamap, link=_link), range(12)))
    assert len(set(pictures)) == 1  # each `dot` run is its own process: nothing shared
    assert ET.fromstring(pictures[0]).tag == f"{SVG}svg"


def test_dot_text_graphviz_cannot_read_is_a_clear_error() -> None:
    with pytest.raises(DrawingError, match=r"Graphviz could not lay out the data map \(.+\)"):
        render("digraph { a -> ", fmt="png")
