"""The web layer's import direction (issue 12, docs/web.md): the HTTP kit imports no domain, no
domain imports the app, the composition root or a command, and the worker does not import the
app. Read from the source (every `import`, at module level or inside a function)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import lawful

SOURCE = Path(lawful.__file__).parent
DOMAINS = ("requests", "consent", "retention", "breach", "discovery", "interop", "reports", "audit")
APP = ("web", "platform", "cli")


def imported(source: str) -> Iterator[str]:
    """Every module name `source` imports (relative imports do not occur in Lawful)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def reaching(package: str, above: tuple[str, ...]) -> list[str]:
    """ "file: module" for each import in `lawful.<package>` of a package in `above`."""
    found = []
    for path in sorted((SOURCE / package).rglob("*.py")):
        for name in imported(path.read_text(encoding="utf-8")):
            parts = name.split(".")
            if parts[0] == "lawful" and len(parts) > 1 and parts[1] in above:
                found.append(f"{path.relative_to(SOURCE)}: {name}")
    return sorted(set(found))


def test_the_import_reader_sees_an_import_inside_a_function() -> None:
    source = "def f():\n    from lawful.web.app import create_app\n"
    assert "lawful.web.app" in set(imported(source))


def test_the_http_kit_imports_no_domain_and_not_the_app() -> None:
    assert reaching("http", (*DOMAINS, "worker", *APP)) == []


def test_no_domain_imports_the_app_the_composition_root_a_command_or_the_worker() -> None:
    for domain in DOMAINS:
        assert reaching(domain, (*APP, "worker")) == [], domain


def test_the_worker_imports_neither_the_app_nor_the_composition_root() -> None:
    assert reaching("worker", APP) == []
