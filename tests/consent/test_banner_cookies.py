"""The cookie banner declares the cookies it sets itself (lawful_consent, lawful_bid), in its
own tracker list and in the privacy notice, from one source: they cannot disagree."""

from __future__ import annotations

from pathlib import Path

from lawful.consent.banner import banner_config
from lawful.datamap.loader import load_datamap
from lawful.datamap.models import DataMap
from lawful.reports.document import Table
from lawful.reports.notice import build_notice

EXAMPLE_MAP = Path(__file__).parents[2] / "examples" / "contact-center" / "lawful.yaml"


def _banner_names(datamap: DataMap) -> list[str]:
    config = banner_config(datamap, gpc=False)
    return [t["name"] for c in config["categories"] for t in c["trackers"]]


def _notice_names(datamap: DataMap) -> list[str]:
    notice = build_notice(datamap)
    [cookies] = [s for s in notice.sections if s.id == "cookies"]
    [table] = [b for b in cookies.blocks if isinstance(b, Table)]
    return [row[0].parts[0].text for row in table.rows]


def test_the_banner_lists_the_cookies_it_sets_as_strictly_necessary(shop: DataMap) -> None:
    config = banner_config(shop, gpc=False)
    [necessary] = [c for c in config["categories"] if c["id"] == "strictly_necessary"]
    own = {t["name"]: t for t in necessary["trackers"]}
    assert {config["cookie"], config["browserCookie"]} <= set(own)
    assert own["lawful_consent"]["lifetime"] == "180 days" == own["lawful_bid"]["lifetime"]
    assert config["maxAgeDays"] == 180


def test_the_notice_and_the_banner_name_the_same_cookies() -> None:
    datamap = load_datamap(EXAMPLE_MAP).datamap
    banner, notice = _banner_names(datamap), _notice_names(datamap)
    assert sorted(banner) == sorted(notice)
    assert {"lawful_consent", "lawful_bid"} <= set(notice)
    assert "vx_consent" not in notice  # nothing sets it


def test_a_map_that_declares_the_banner_cookie_keeps_its_own_wording(shop: DataMap) -> None:
    [necessary] = [t for t in shop.trackers.values() if t.category.value == "strictly_necessary"]
    mine = necessary.model_copy(update={"name": "lawful_consent", "description": "Ours."})
    datamap = shop.model_copy(update={"trackers": {**shop.trackers, "choice": mine}})
    names = _banner_names(datamap)
    assert names.count("lawful_consent") == 1
    assert sorted(names) == sorted(_notice_names(datamap))


def test_a_map_without_trackers_declares_no_banner_cookie(shop: DataMap) -> None:
    bare = shop.model_copy(update={"trackers": {}})
    assert _banner_names(bare) == []
    cookies = next(s for s in build_notice(bare).sections if s.id == "cookies")
    assert "no cookies" in cookies.blocks[0].parts[0].text  # type: ignore[union-attr]
