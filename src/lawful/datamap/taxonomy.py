"""The default taxonomy shipped with Lawful (data categories, purposes, legal bases, ...).

The data lives in `taxonomy/*.yaml`; a data map may add categories of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from lawful.datamap.models import Category, DataField, DataMap


@dataclass(frozen=True)
class Term:
    """An entry of a taxonomy list other than categories: id, label, article and DPV term."""

    id: str
    name: str
    description: str = ""
    article: str = ""
    dpv: str = ""
    default_minimum_age: int | None = None


@cache
def _read(name: str) -> dict[str, Any]:
    text = (resources.files("lawful.datamap") / "taxonomy" / f"{name}.yaml").read_text("utf-8")
    # libyaml's loader when PyYAML has it: 10x faster than the pure-Python one on
    # categories.yaml, which every command that labels data reads.
    data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    assert isinstance(data, dict), f"taxonomy/{name}.yaml must be a mapping"
    return data


@cache
def default_categories() -> dict[str, Category]:
    return {key: Category.model_validate(value) for key, value in _read("categories").items()}


def _terms(name: str) -> dict[str, Term]:
    fields = set(Term.__dataclass_fields__)
    return {
        key: Term(id=key, **{k: v for k, v in value.items() if k in fields})
        for key, value in _read(name).items()
    }


@cache
def legal_bases() -> dict[str, Term]:
    return _terms("legal_bases")


@cache
def special_conditions() -> dict[str, Term]:
    return _terms("special_conditions")


@cache
def criminal_conditions() -> dict[str, Term]:
    return _terms("criminal_conditions")


@cache
def default_purposes() -> dict[str, Term]:
    return _terms("purposes")


@cache
def subject_types() -> dict[str, Term]:
    return _terms("subjects")


@cache
def ccpa_categories() -> dict[str, Term]:
    data = _read("ccpa_categories")
    return {
        key: Term(id=key, name=value["name"], article=value["citation"])
        for key, value in data.items()
    }


def all_categories(datamap: DataMap) -> dict[str, Category]:
    """The default taxonomy with the map's own categories added (the map wins on a clash)."""
    return {**default_categories(), **datamap.categories}


def is_free_text(datamap: DataMap, field: DataField) -> bool:
    """Whether a field holds free text: its own `free_text:` when set, else its category's
    (or the nearest parent category's: `communication.message.chat` is as
    `communication.message` says)."""
    if field.free_text is not None:
        return field.free_text
    categories = all_categories(datamap)
    parts = field.category.split(".")
    for size in range(len(parts), 0, -1):
        category = categories.get(".".join(parts[:size]))
        if category is not None and category.free_text:
            return True
    return False
