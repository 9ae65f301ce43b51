"""Import Ethyca Fides (fideslang) dataset YAML as Lawful datasets, so Fides users can switch.

A fideslang file lists datasets; each dataset has collections (tables) and each collection
has fields labelled with fideslang data categories and `fides_meta` (identity, primary key,
references). Each collection becomes one Lawful dataset `<fides_key>_<collection>`.

What does not fit Lawful's model is never dropped silently: it is returned as one line in
`FidesImportResult.unmapped`. Malformed input raises `FidesImportError` with problems that
point at `file:line:col`. The mapping is documented in docs/fides.md.

The package: `mapping` (categories), `reader` (fideslang files), `converter` (to Lawful).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lawful.datamap.fides.converter import Converter
from lawful.datamap.fides.mapping import identifier
from lawful.datamap.fides.reader import FidesDataset, read_fides_file
from lawful.datamap.models import ID_PATTERN
from lawful.datamap.problems import DataMapError, Problem

# --- the result -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FidesImportResult:
    """Lawful `datasets:` YAML, how many datasets it holds, and what could not be mapped."""

    yaml_text: str
    dataset_count: int
    unmapped: list[str]


class FidesImportError(DataMapError):
    """The fideslang files could not be imported; `problems` says every reason found."""


def import_fides_files(
    paths: list[Path],
    *,
    system: str,
    subject: str,
    subjects: Mapping[str, str] | None = None,
) -> FidesImportResult:
    """Read fideslang dataset files and turn them into Lawful datasets of `system`/`subject`.

    `subjects` gives some collections another subject: by collection name, `dataset.collection`
    or the Lawful dataset id (`--subject orders=customer --subject employees=employee`).
    Raises FidesImportError listing every problem found; never a traceback for bad input.
    """
    per_collection = dict(subjects or {})
    problems = list(_check_ids(system=system, subjects=[subject, *per_collection.values()]))
    datasets = [dataset for path in paths for dataset in read_fides_file(path, problems)]
    problems += _unknown_collections(per_collection, datasets)
    if problems:
        raise FidesImportError(sorted(problems, key=Problem.sort_key))
    converter = Converter(datasets, system=system, subject=subject, subjects=per_collection)
    entries = converter.convert()
    if converter.problems:
        raise FidesImportError(sorted(converter.problems, key=Problem.sort_key))
    return FidesImportResult(
        yaml_text=_render(entries, [path.name for path in paths]),
        dataset_count=len(entries),
        unmapped=converter.notes,
    )


def parse_subjects(given: list[str]) -> tuple[str, dict[str, str]]:
    """`--subject` values: one bare subject (the default for every collection) and any
    number of `COLLECTION=SUBJECT`. Raises FidesImportError for two defaults or a duplicate."""
    default: list[str] = []
    named: dict[str, str] = {}
    problems: list[Problem] = []
    for text in given:
        collection, sep, subject = (part.strip() for part in text.partition("="))
        if not sep:
            default.append(collection)
        elif collection in named or not collection:
            problems.append(Problem("F009", f"--subject `{text}` names no collection or one twice",
                                    "give each collection once, as COLLECTION=SUBJECT"))  # fmt: skip
        else:
            named[collection] = subject
    if len(default) > 1:
        problems.append(
            Problem(
                "F009",
                f"--subject is given {len(default)} times without a collection",
                "give one default subject; name the collection for the others (orders=customer)",
            )
        )
    if problems:
        raise FidesImportError(problems)
    return (default[0] if default else "customer"), named


def _unknown_collections(
    subjects: Mapping[str, str], datasets: list[FidesDataset]
) -> list[Problem]:
    names = {
        name
        for d in datasets
        for c in d.collections
        for name in (c.name, f"{d.key}.{c.name}", identifier(f"{d.key}_{c.name}"))
    }
    return [
        Problem(
            "F009",
            f"--subject {collection}={subject}: no collection `{collection}` in the files",
            "name a collection (or dataset.collection) of the files imported",
        )
        for collection, subject in subjects.items()
        if collection not in names
    ]


def _check_ids(*, system: str, subjects: list[str]) -> Iterator[Problem]:
    for option, value in (("--system", system), *(("--subject", s) for s in subjects)):
        if not re.match(ID_PATTERN, value):
            yield Problem(
                "F008",
                f"{option} `{value}` is not a valid Lawful id",
                f"use lowercase letters, digits and underscores, e.g. `{identifier(value)}`",
            )


def _render(entries: dict[str, dict[str, Any]], names: list[str]) -> str:
    header = (
        f"# Imported by `lawful import-fides` from fideslang: {', '.join(names)}.\n"
        "# Review each category and erase strategy, and the notes on what was not mapped.\n"
    )
    body = yaml.safe_dump(
        {"datasets": entries}, sort_keys=False, default_flow_style=False, allow_unicode=True
    )
    return header + body
