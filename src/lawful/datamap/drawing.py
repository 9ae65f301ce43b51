"""The data map drawn: systems holding their datasets, the references between datasets (in the
direction the engine follows them), and the recipients each system's data goes to, grouped by
country with the safeguard of each transfer (GDPR Chapter V).

The picture is laid out by Graphviz's `dot` program, run with a timeout; the DOT text is built
with the `graphviz` library, which quotes every name from the map. The SVG `dot` writes is
then sanitised (`clean_svg`): only drawing elements, no script, no event attributes, and links
only to the console's own map pages, so a name in the map cannot inject anything into a page.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET  # building only; reading is defusedxml's
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import graphviz
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from lawful.datamap.facts import recipient_transfer, role_name
from lawful.datamap.graph import reference_edges
from lawful.datamap.models import DataMap, TransferMechanism
from lawful.errors import DomainError
from lawful.formats import country as country_name
from lawful.law.transfers import in_eea

Format = Literal["svg", "png", "dot"]
FORMATS: tuple[Format, ...] = ("svg", "png", "dot")
# Where each kind of node links to, given its id (None: no links, as in the RoPA annex).
Linker = Callable[[str, str], str] | None
DOT_TIMEOUT_SECONDS = 20.0
COLUMNS = 3  # datasets side by side in a system's box

# The safeguard of a transfer out of the EEA, in a few words for the picture.
SAFEGUARDS = {
    TransferMechanism.adequacy.value: "adequacy (Art. 45)",
    TransferMechanism.dpf.value: "Data Privacy Framework (Art. 45)",
    TransferMechanism.scc.value: "SCCs (Art. 46(2)(c))",
    TransferMechanism.bcr.value: "BCRs (Art. 47)",
    TransferMechanism.derogation.value: "derogation (Art. 49)",
    TransferMechanism.privacy_shield.value: "Privacy Shield: invalid (C-311/18)",
    TransferMechanism.none.value: "no safeguard",
}
_COLOURS = {"system": "#eef2f7", "dataset": "#ffffff", "recipient": "#fff7e6", "bad": "#fde8e8"}


class DrawingError(DomainError):
    """The picture could not be made: `dot` missing, too slow, or failing."""

    http_status = 503
    code = "drawing_unavailable"


@dataclass(frozen=True)
class Flow:
    """Data of a system going to a recipient, for the purposes its datasets share with it."""

    system: str
    recipient: str
    purposes: tuple[str, ...]


def recipient_safeguard(datamap: DataMap, recipient_id: str) -> tuple[str, bool]:
    """The safeguard of the transfer to a recipient, in words, and whether it holds."""
    recipient = datamap.recipients[recipient_id]
    fact = recipient_transfer(recipient)
    if fact is None:
        return ("within the EEA", True)
    return (SAFEGUARDS.get(fact.mechanism, fact.safeguard), fact.valid)


def flows(datamap: DataMap) -> list[Flow]:
    """Which system's data reaches which recipient: a recipient named by a purpose of one of
    the system's datasets (or naming that purpose itself), and the vendor hosting a system."""
    found: dict[tuple[str, str], set[str]] = {}
    for dataset in datamap.datasets.values():
        for pid in dataset.purposes:
            purpose = datamap.purposes.get(pid)
            named = set(purpose.recipients) if purpose else set()
            named |= {rid for rid, r in datamap.recipients.items() if pid in r.purposes}
            for rid in named & datamap.recipients.keys():
                found.setdefault((dataset.system, rid), set()).add(pid)
    for sid, system in datamap.systems.items():
        if system.vendor in datamap.recipients:
            found.setdefault((sid, system.vendor), set())
    return [Flow(s, r, tuple(sorted(p))) for (s, r), p in sorted(found.items())]


def map_dot(datamap: DataMap, *, link: Linker = None) -> str:
    """The DOT text of the map's picture; `link(kind, id)` gives each node's page, if any."""
    graph = graphviz.Digraph("datamap", strict=True)
    graph.attr(rankdir="LR", compound="true", fontname="DejaVu Sans", fontsize="11", nodesep="0.25")
    graph.attr("node", fontname="DejaVu Sans", fontsize="10", shape="box", style="filled,rounded")
    graph.attr("edge", fontname="DejaVu Sans", fontsize="9", color="#5b6b7f")
    _systems(graph, datamap, link)
    _recipients(graph, datamap, link)
    for edge in reference_edges(datamap):
        label = f"{edge.source}.{edge.source_field} → {edge.target}.{edge.target_field}"
        graph.edge(f"dataset/{edge.source}", f"dataset/{edge.target}", tooltip=label)
    for flow in flows(datamap):
        hosted = datamap.systems[flow.system].vendor == flow.recipient
        label = "hosted by" if hosted and not flow.purposes else ""
        graph.edge(
            f"system/{flow.system}",
            f"recipient/{flow.recipient}",
            label=label,
            style="dashed",
            minlen="5",  # recipients to the right of every system's datasets
            ltail=f"cluster_system_{flow.system}",
        )
    source: str = graph.source
    return source


def _systems(graph: graphviz.Digraph, datamap: DataMap, link: Linker) -> None:
    for sid, system in datamap.systems.items():
        with graph.subgraph(name=f"cluster_system_{sid}") as cluster:
            cluster.attr(
                label=f"{system.name} ({system.location})",
                style="filled,rounded",
                fillcolor=_COLOURS["system"],
                color="#9aa7b8",
                **_href(link, "system", sid),
            )
            # The system's own node: the end of its flows to recipients.
            cluster.node(
                f"system/{sid}",
                label=f"{system.name}\nowner: {system.owner}",
                shape="cylinder",
                fillcolor="#dfe7f1",
                **_href(link, "system", sid),
            )
            held = [d for d, ds in datamap.datasets.items() if ds.system == sid]
            for index, did in enumerate(held):
                dataset = datamap.datasets[did]
                # Invisible links lay a system's datasets out in columns, not one long line.
                before = f"system/{sid}" if index < COLUMNS else f"dataset/{held[index - COLUMNS]}"
                cluster.edge(before, f"dataset/{did}", style="invis")
                subject = datamap.subjects.get(dataset.subject)
                cluster.node(
                    f"dataset/{did}",
                    label=f"{dataset.table or did}\n{subject.name if subject else dataset.subject}"
                    f" · {len(dataset.fields)} fields",
                    fillcolor=_COLOURS["dataset"],
                    **_href(link, "dataset", did),
                )
    orphans = [d for d, ds in datamap.datasets.items() if ds.system not in datamap.systems]
    for did in orphans:  # reported by the checks; drawn anyway so the picture is complete
        graph.node(
            f"dataset/{did}", label=did, fillcolor=_COLOURS["bad"], **_href(link, "dataset", did)
        )


def _recipients(graph: graphviz.Digraph, datamap: DataMap, link: Linker) -> None:
    countries = sorted({r.country for r in datamap.recipients.values()})
    for country in countries:
        where = "inside the EEA" if in_eea(country) else "outside the EEA"
        with graph.subgraph(name=f"cluster_country_{country}") as cluster:
            cluster.attr(
                label=f"Recipients in {country_name(country)} ({where})",
                style="dashed",
                color="#c9a35b",
            )
            for rid, recipient in datamap.recipients.items():
                if recipient.country != country:
                    continue
                safeguard, valid = recipient_safeguard(datamap, rid)
                cluster.node(
                    f"recipient/{rid}",
                    label=f"{recipient.name}\n{role_name(recipient.role)} · {safeguard}",
                    fillcolor=_COLOURS["recipient"] if valid else _COLOURS["bad"],
                    shape="box",
                    **_href(link, "recipient", rid),
                )


def _href(link: Linker, kind: str, ident: str) -> dict[str, str]:
    if link is None:
        return {}
    return {"URL": link(kind, ident), "target": "_top"}


# --- running dot --------------------------------------------------------------------------------


def dot_program() -> str:
    """The path of Graphviz's `dot`, or a DrawingError saying how to install it."""
    found = shutil.which("dot")
    if found is None:
        raise DrawingError(
            "Graphviz's `dot` program was not found on this server's PATH, so the data map "
            "cannot be drawn: install the Debian package `graphviz` (apt-get install graphviz, "
            "as scripts/bootstrap does) and reload."
        )
    return found


def render(source: str, *, fmt: Format, timeout: float = DOT_TIMEOUT_SECONDS) -> bytes:
    """Lay out DOT `source` with `dot` and return the picture (SVG sanitised)."""
    if fmt == "dot":
        return source.encode()
    try:
        done = subprocess.run(  # noqa: S603 (a fixed program, the map's text on stdin)
            [dot_program(), f"-T{fmt}"],
            input=source.encode(),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise DrawingError(
            f"Graphviz took more than {timeout:g} s to lay out the data map: try again, or "
            "draw it with `lawful map draw --format dot` and lay it out elsewhere."
        ) from None
    if done.returncode != 0:
        detail = done.stderr.decode(errors="replace").strip().splitlines()[:1]
        raise DrawingError(
            f"Graphviz could not lay out the data map ({'; '.join(detail) or 'no message'}): "
            "check the map with `lawful check`."
        )
    return clean_svg(done.stdout.decode()).encode() if fmt == "svg" else done.stdout


def draw_map(datamap: DataMap, *, fmt: Format = "svg", link: Linker = None) -> bytes:
    """The map's picture in `fmt`."""
    return render(map_dot(datamap, link=link), fmt=fmt)


# --- sanitising ------------------------------------------------------------------------------------

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
_ALLOWED = frozenset(
    {"svg", "g", "title", "polygon", "polyline", "path", "ellipse", "text", "a", "defs"}
)
_PROLOGUE = re.compile(r"<\?xml[^>]*\?>|<!DOCTYPE[^>[]*(\[[^\]]*\])?\s*>|<!--.*?-->", re.S)
_HREFS = (f"{{{XLINK_NS}}}href", "href")
_SAFE_LINK = re.compile(r"^/admin/map/[a-z]+/[A-Za-z0-9_.%-]+$")


def clean_svg(svg: str, *, allowed_link: re.Pattern[str] = _SAFE_LINK) -> str:
    """The SVG with only drawing elements kept, no event or style attributes, and links only
    where `allowed_link` matches: whatever a name in the map holds stays text."""
    try:
        root = fromstring(_PROLOGUE.sub("", svg))  # no DOCTYPE left, and no entity read
    except (ET.ParseError, DefusedXmlException):
        root = None
    if root is None or _local(root.tag) != "svg":
        raise DrawingError("Graphviz did not write an SVG picture: check its installation.")
    _clean(root, allowed_link)
    # The prefixes are ElementTree's global state, which other SVG writers change (qrcode
    # registers "svg:"): set them again just before writing, or a page would get <svg:svg>,
    # which HTML does not draw.
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    return ET.tostring(root, encoding="unicode")


def _clean(element: ET.Element, allowed_link: re.Pattern[str]) -> None:
    for child in list(element):
        if _local(child.tag) not in _ALLOWED:
            element.remove(child)
        else:
            _clean(child, allowed_link)
    for name in list(element.attrib):
        value = element.attrib[name]
        local = _local(name).lower()
        if local.startswith("on") or local == "style":
            del element.attrib[name]
        elif name in _HREFS and not allowed_link.match(value):
            del element.attrib[name]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
