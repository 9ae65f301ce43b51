"""The data map, drawn, in the admin console: the picture, each node's page, the downloads, and
a clear page when Graphviz is missing."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from lawful.auth.models import Role
from lawful.config import Settings
from lawful.datamap.loader import load_datamap
from lawful.web.app import create_app

from .conftest import TestClient, Web

HOSTILE = Path(__file__).parents[1] / "datamap" / "fixtures" / "hostile_names.yaml"

_HREF = re.compile(r'xlink:href="(/admin/map/[^"]+)"')


def test_the_map_page_draws_the_map_and_every_node_links_to_a_page_that_answers(web: Web) -> None:
    auditor = web.signed_in(Role.auditor)  # read-only staff may read the map
    page = auditor.get("/admin/map")
    assert page.status_code == 200
    assert '<figure class="datamap"><svg' in page.text
    assert "<script" not in page.text.split('<figure class="datamap">')[1].split("</figure>")[0]
    links = sorted(set(_HREF.findall(page.text)))
    datamap = web.platform.datamap
    assert len(links) == len(datamap.systems) + len(datamap.datasets) + len(datamap.recipients)
    for link in links:
        answer = auditor.get(link)
        assert answer.status_code == 200, link
        assert 'href="/admin/map"' in answer.text


def test_a_dataset_page_lists_fields_categories_erasure_retention_and_identities(web: Web) -> None:
    page = web.signed_in(Role.analyst).get("/admin/map/datasets/candidates")
    assert page.status_code == 200
    text = page.text
    assert "Applicant tracking" in text  # its system, by name
    assert "Job applicants" in text
    assert "email:" in text  # identities
    assert "<h2>Fields</h2>" in text
    assert "<h2>Retention</h2>" in text
    assert "No retention rule covers this dataset." not in text
    assert "rows deleted" in text  # `erase: delete`
    assert "replaced by “[erased]”" in text  # first_name's own strategy
    assert "<td>candidate_id</td><td>Internal reference</td><td>kept</td>" in text


def test_a_recipient_page_names_its_safeguard_and_the_systems_sending_to_it(web: Web) -> None:
    datamap = web.platform.datamap
    rid = next(r for r, rec in datamap.recipients.items() if rec.country == "US")
    page = web.signed_in(Role.analyst).get(f"/admin/map/recipients/{rid}")
    assert page.status_code == 200
    assert "Transfer safeguard" in page.text
    assert "within the EEA" not in page.text
    assert "/admin/map/systems/" in page.text


def test_unknown_nodes_are_404_pages_that_say_so(web: Web) -> None:
    staff = web.signed_in(Role.analyst)
    for kind in ("datasets", "systems", "recipients"):
        page = staff.get(f"/admin/map/{kind}/nothing_here")
        assert page.status_code == 404
        assert "has no" in page.text
        assert "nothing_here" in page.text


def test_the_map_is_downloaded_as_svg_and_png(web: Web) -> None:
    staff = web.signed_in(Role.analyst)
    svg = staff.get("/admin/map.svg")
    assert svg.status_code == 200
    assert svg.headers["content-type"] == "image/svg+xml"
    assert svg.content.startswith(b"<svg")
    png = staff.get("/admin/map.png")
    assert png.content.startswith(b"\x89PNG")
    assert staff.get("/admin/map.gif").status_code == 404


def test_the_map_needs_a_signed_in_member_of_staff(web: Web) -> None:
    page = web.browser().get("/admin/map")
    assert page.status_code == 303
    assert page.headers["location"].startswith("/admin/sign-in")


def test_without_graphviz_the_page_says_what_to_install(
    web: Web, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    staff = web.signed_in(Role.analyst)
    monkeypatch.setenv("PATH", str(tmp_path))
    page = staff.get("/admin/map")
    assert page.status_code == 503
    assert "install the Debian package" in page.text
    assert "graphviz" in page.text
    assert "Traceback" not in page.text


def test_hostile_names_in_the_map_stay_text_on_every_map_page(
    make_settings: Callable[..., Settings],
) -> None:
    hostile = load_datamap(HOSTILE)
    app = create_app(make_settings(map_path=HOSTILE), loaded=hostile)
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        staff = Web(app, client).signed_in(Role.analyst)
        pages = ["/admin/map", "/admin/map/systems/ats", "/admin/map/datasets/candidates",
                 "/admin/map/datasets/applications", "/admin/map/recipients/shield_corp"]  # fmt: skip
        for address in pages:
            page = staff.get(address)
            assert page.status_code == 200, address
            assert "<script>alert" not in page.text, address
            assert "<b>Corp</b>" not in page.text, address
            assert "<img src=x" not in page.text, address
        assert "cand&lt;script&gt;alert(1)&lt;/script&gt;" in staff.get(pages[2]).text
        assert "does not hold" in staff.get(pages[4]).text  # Privacy Shield
