"""The picture in docs/architecture.md kept true: imports run one way, down the layers, and no
module grows past 600 lines.

A small AST check over src/lawful: every `import lawful.X…` / `from lawful.X… import …`
(at module level, inside functions and under TYPE_CHECKING alike) names a top-level package X
of lawful. A package may import its own layer's packages only where the rules below say so,
and any package of a layer below it; never one above.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "lawful"
MAX_LINES = 600

DOMAINS = frozenset(
    {
        "requests",
        "consent",
        "training",
        "processors",
        "retention",
        "breach",
        "complaints",
        "directives",
        "dpia",
        "discovery",
        "interop",
        "reports",
        "audit",
        "markers",
    }
)

# Top to bottom. Keep in step with docs/architecture.md.
LAYERS: tuple[tuple[str, frozenset[str]], ...] = (
    # The app: what a person or a process starts, and the composition root they share
    # (`lawful.platform`).
    ("app", frozenset({"cli", "web", "worker", "demo", "platform"})),
    ("domains", DOMAINS),
    # The shared HTTP kit every domain's pages and API use, and the staff accounts behind it.
    ("kit", frozenset({"http", "auth"})),
    ("engine", frozenset({"engine"})),
    ("connectors", frozenset({"connectors"})),
    # The map and the law read each other (the law's enums are the map's; the map's checks
    # apply the law's transfer rules); recognizers stand alone.
    ("model", frozenset({"datamap", "law", "recognizers"})),
    ("base", frozenset({"store", "config", "errors", "jinja", "formats"})),
)
FREE_WITHIN = frozenset({"kit", "model", "base"})  # layers whose packages import each other

# Imports across one layer (app or domains), each with its reason. Keep it short.
ALLOWED: frozenset[tuple[str, str]] = frozenset(
    {
        ("cli", "web"),  # `lawful serve` starts the web app
        ("cli", "worker"),  # `lawful worker` starts the worker
        ("cli", "demo"),  # `lawful demo` writes the example company
        ("cli", "platform"),  # commands open the platform like the app and the worker
        ("web", "platform"),  # the app opens the platform in its lifespan
        ("web", "worker"),  # the app serves the jobs' pages and reports their health
        ("platform", "worker"),  # the composition root picks the job dispatcher
        ("interop", "requests"),  # a DRP request becomes a rights request
        ("requests", "consent"),  # an opt-out or withdrawal goes to the consent ledger
        ("retention", "requests"),  # a sweep spares people with an open request
        ("requests", "reports"),  # request records are counted in the metrics' record type
        ("consent", "reports"),  # the banner links the notice; admin charts
        ("complaints", "requests"),  # a complaint links the rights requests it is about
        ("directives", "requests"),  # a directive applied becomes rights requests
    }
)

# PENDING held the web kit's violations until the web-kit split landed (issue 12): empty, and
# nothing may be added to it.
PENDING: frozenset[tuple[str, str]] = frozenset()


@dataclass(frozen=True)
class Violation:
    where: str  # path:line, relative to the package's parent
    importer: str
    imported: str
    unknown: str | None = None  # a package no layer names

    def __str__(self) -> str:
        said = f"{self.where}: {self.importer} imports {self.imported}"
        return f"{said} ({self.unknown} is in no layer)" if self.unknown else said


def _layer_of(package: str) -> int:
    for index, (_, members) in enumerate(LAYERS):
        if package in members:
            return index
    raise LookupError(package)


def _imported(node: ast.AST, root: str) -> Iterator[str]:
    """The top-level packages of `root` an import node names."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        names = [node.module]
        if node.module == root:  # `from lawful import x`: x is a package or a name
            names = [f"{root}.{alias.name}" for alias in node.names]
    else:
        return
    for name in names:
        parts = name.split(".")
        if parts[0] == root and len(parts) > 1:
            yield parts[1]


@cache
def imports(package_dir: Path) -> tuple[tuple[str, int, str, str], ...]:
    """(file, line, importer, imported) for each import of a sibling top-level package."""
    return tuple(_imports(package_dir))


def _imports(package_dir: Path) -> Iterator[tuple[str, int, str, str]]:
    root = package_dir.name
    for path in sorted(package_dir.rglob("*.py")):
        relative = path.relative_to(package_dir)
        importer = relative.parts[0].removesuffix(".py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            for imported in _imported(node, root):
                if imported != importer and not imported.startswith("__"):
                    where = path.relative_to(package_dir.parent).as_posix()
                    yield where, getattr(node, "lineno", 0), importer, imported


def _allowed(importer: str, imported: str, allowed: frozenset[tuple[str, str]]) -> bool:
    above, below = _layer_of(importer), _layer_of(imported)
    if above != below:
        return above < below
    return LAYERS[above][0] in FREE_WITHIN or (importer, imported) in allowed


def violations(
    package_dir: Path, *, allowed: frozenset[tuple[str, str]] = ALLOWED
) -> list[Violation]:
    """Every import against the layers, and every package no layer names."""
    found = []
    for where, line, importer, imported in imports(package_dir):
        try:
            ok = _allowed(importer, imported, allowed)
        except LookupError as unknown:
            found.append(Violation(f"{where}:{line}", importer, imported, unknown.args[0]))
            continue
        if not ok:
            found.append(Violation(f"{where}:{line}", importer, imported))
    return found


def oversized(package_dir: Path, *, limit: int = MAX_LINES) -> list[str]:
    """Modules over `limit` lines, as `path: lines`."""
    found = []
    for path in sorted(package_dir.rglob("*.py")):
        count = len(path.read_text(encoding="utf-8").splitlines())
        if count > limit:
            found.append(f"{path.relative_to(package_dir.parent).as_posix()}: {count}")
    return found


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "lawful" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "lawful"


# --- the real package ---------------------------------------------------------------------------


def test_no_package_imports_a_package_above_it_or_a_domain_beside_it() -> None:
    found = [v for v in violations(SRC) if (v.importer, v.imported) not in PENDING]
    assert not found, "imports against docs/architecture.md:\n" + "\n".join(map(str, found))


def test_every_pending_exception_still_matches_an_import() -> None:
    """An exception that no import needs any more is struck off, so the set only shrinks."""
    seen = {(v.importer, v.imported) for v in violations(SRC)}
    assert not PENDING - seen, f"no longer needed in PENDING: {sorted(PENDING - seen)}"


def test_every_allowed_edge_joins_two_packages_of_one_layer_and_is_used() -> None:
    used = {(importer, imported) for _, _, importer, imported in imports(SRC)}
    for importer, imported in ALLOWED:
        assert _layer_of(importer) == _layer_of(imported), (importer, imported)
    assert not ALLOWED - used, f"allowed but unused: {sorted(ALLOWED - used)}"


def test_the_allowed_domain_edges_are_the_ones_docs_architecture_md_lists() -> None:
    text = (SRC.parents[1] / "docs" / "architecture.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `(\w+) → (\w+)` \|", text, re.MULTILINE))
    between_domains = {(a, b) for a, b in ALLOWED if a in DOMAINS and b in DOMAINS}
    assert documented == between_domains


def test_no_module_in_src_is_over_600_lines() -> None:
    assert not oversized(SRC), "split these modules:\n" + "\n".join(oversized(SRC))


# --- the checker itself -------------------------------------------------------------------------


def test_an_engine_module_importing_a_domain_is_reported_with_its_file_and_line(
    tmp_path: Path,
) -> None:
    package = _write(
        tmp_path,
        {
            "engine/__init__.py": "",
            "engine/erasure.py": '"""Erasure."""\n\nfrom lawful.retention.models import Hold\n',
            "retention/models.py": "Hold = object\n",
        },
    )
    assert [str(v) for v in violations(package)] == [
        "lawful/engine/erasure.py:3: engine imports retention"
    ]


def test_an_upward_import_inside_a_function_is_reported_too(tmp_path: Path) -> None:
    package = _write(
        tmp_path,
        {"datamap/load.py": "def load():\n    import lawful.cli.main\n", "cli/main.py": ""},
    )
    assert [str(v) for v in violations(package)] == [
        "lawful/datamap/load.py:2: datamap imports cli"
    ]


def test_two_domains_import_each_other_only_through_an_allowed_edge(tmp_path: Path) -> None:
    package = _write(
        tmp_path,
        {
            "consent/ledger.py": "from lawful.breach import notify\n",
            "breach/notify.py": "from lawful.consent import ledger\n",
        },
    )
    assert [str(v) for v in violations(package, allowed=frozenset({("breach", "consent")}))] == [
        "lawful/consent/ledger.py:1: consent imports breach"
    ]


def test_downward_imports_and_imports_within_the_base_pass(tmp_path: Path) -> None:
    package = _write(
        tmp_path,
        {
            "cli/main.py": "from lawful.requests import service\nfrom lawful import engine\n",
            "requests/service.py": "import lawful.engine.jobs\nfrom lawful.auth import roles\n",
            "law/rules.py": "from lawful.datamap.models import Jurisdiction\n",
            "datamap/checks.py": "from lawful.law.transfers import is_adequate\n",
            "store/db.py": "from lawful.config import Settings\n",
        },
    )
    assert violations(package) == []


def test_a_package_in_no_layer_is_reported(tmp_path: Path) -> None:
    package = _write(tmp_path, {"gadgets/x.py": "from lawful.engine import jobs\n"})
    assert [str(v) for v in violations(package)] == [
        "lawful/gadgets/x.py:1: gadgets imports engine (gadgets is in no layer)"
    ]


def test_a_module_over_the_limit_is_named_with_its_length(tmp_path: Path) -> None:
    package = _write(tmp_path, {"engine/long.py": "x = 1\n" * 601, "engine/short.py": "x = 1\n"})
    assert oversized(package) == ["lawful/engine/long.py: 601"]


def _loop(edges: frozenset[tuple[str, str]]) -> list[str] | None:
    """A loop among the edges, as the packages it passes through, or None."""
    after: dict[str, list[str]] = {}
    for start, end in edges:
        after.setdefault(start, []).append(end)
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        for nxt in sorted(after.get(node, [])):
            found = visit(nxt, [*path, node])
            if found:
                return found
        done.add(node)
        return None

    for node in sorted(after):
        found = visit(node, [])
        if found:
            return found
    return None


def test_the_allowed_edges_between_domains_close_no_loop() -> None:
    assert _loop(ALLOWED) is None, " -> ".join(_loop(ALLOWED) or [])
    # The check itself finds a loop where there is one.
    assert _loop(ALLOWED | {("reports", "requests")}) is not None
