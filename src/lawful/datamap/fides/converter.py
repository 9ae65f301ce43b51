"""Converting fideslang collections to Lawful datasets: categories, identities, keys,
references, date events and erase strategies; what does not fit is noted, never dropped."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lawful.datamap.fides.mapping import (
    IDENTITY_CATEGORIES,
    INTERNAL_ID_CATEGORY,
    OTHER_IDENTITY_CATEGORY,
    identifier,
    lawful_category,
)
from lawful.datamap.fides.reader import FidesCollection, FidesDataset, FidesField, FidesReference
from lawful.datamap.models import Sensitivity
from lawful.datamap.problems import Position, Problem
from lawful.datamap.taxonomy import default_categories

# Keys in these categories are kept on erasure: they only point at rows of our own systems.
_LINK_CATEGORIES = frozenset({INTERNAL_ID_CATEGORY, "identifier.customer"})
_PLAIN_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")  # what `Reference.to` accepts
# Columns a retention rule can count from (`events:`): a date type, or a date-like name.
DATE_CATEGORY = "record.timestamp"
_DATE_TYPES = re.compile(r"^(date|datetime|timestamp|time)", re.IGNORECASE)
_DATE_NAME = re.compile(r"(^|_)(date|datetime|timestamp|time|day)$|_(at|on)$", re.IGNORECASE)
# Fides identity types whose Lawful name differs; others keep their (normalised) name.
_IDENTITY_TYPES = {"email": "email", "phone_number": "phone"}
_SENSITIVITY_RANK = {
    Sensitivity.special: 0,
    Sensitivity.criminal: 1,
    Sensitivity.sensitive_pi: 2,
    Sensitivity.ordinary: 3,
}


FieldKey = tuple[str, str, str]  # fides dataset key, collection name, field name


@dataclass(frozen=True)
class _Target:
    dataset: FidesDataset
    collection: FidesCollection
    lawful_id: str


@dataclass
class Converter:
    """One import's conversion: `convert()` gives the Lawful dataset entries; `problems` stop
    the import, `notes` list what could not be mapped."""

    datasets: list[FidesDataset]
    system: str
    subject: str
    subjects: dict[str, str] = field(default_factory=dict)  # collection → subject
    problems: list[Problem] = field(default_factory=list)
    found: list[tuple[str, str]] = field(default_factory=list)
    targets: dict[tuple[str, str], _Target] = field(default_factory=dict)
    references: dict[FieldKey, dict[str, str]] = field(default_factory=dict)
    keys: set[FieldKey] = field(default_factory=set)

    def convert(self) -> dict[str, dict[str, Any]]:
        self._index()
        for target in self.targets.values():
            self._resolve_references(target)
        if self.problems:
            return {}
        entries: dict[str, dict[str, Any]] = {}
        for target in self.targets.values():
            entry = self._dataset_entry(target)
            if entry is not None:
                entries[target.lawful_id] = entry
        return dict(sorted(entries.items()))

    # -- index: every collection by fides key, with its Lawful id

    def _index(self) -> None:
        owners: dict[str, FidesDataset] = {}
        ids: dict[str, tuple[str, str]] = {}
        for dataset in self.datasets:
            first = owners.setdefault(dataset.key, dataset)
            if first is not dataset:
                self._problem(
                    "F005",
                    f"dataset `{dataset.key}` is defined twice",
                    f"first at {first.position}; keep one",
                    dataset.position,
                )
                continue
            self._note_dataset(dataset)
            for collection in dataset.collections:
                self._index_collection(dataset, collection, ids)

    def _index_collection(
        self, dataset: FidesDataset, collection: FidesCollection, ids: dict[str, tuple[str, str]]
    ) -> None:
        pair = (dataset.key, collection.name)
        lawful_id = identifier(f"{dataset.key}_{collection.name}")
        clash = ids.setdefault(lawful_id, pair)
        if pair in self.targets or clash != pair:
            what = (
                "is listed twice"
                if clash == pair
                else f"gets the Lawful id `{lawful_id}`, like `{clash[0]}.{clash[1]}`"
            )
            where = f"{dataset.key}.{collection.name}"
            self._problem(
                "F005", f"collection `{where}` {what}", "rename or remove one", collection.position
            )
            return
        self.targets[pair] = _Target(dataset, collection, lawful_id)
        self._mark_keys(dataset.key, collection)

    def _mark_keys(self, dataset_key: str, collection: FidesCollection) -> None:
        for item in collection.fields:
            if item.identity or item.primary_key or item.name == _primary_key(collection):
                self.keys.add((dataset_key, collection.name, item.name))

    def _note_dataset(self, dataset: FidesDataset) -> None:
        self._note_summary(dataset.key, "dataset", dataset.summary_categories, dataset.after)

    def _note_summary(
        self, where: str, level: str, categories: tuple[str, ...], after: tuple[str, ...]
    ) -> None:
        if categories:
            self._note(
                where,
                f"{level}-level data_categories were not copied to the fields; "
                "each field keeps the labels written on it",
            )
        if after:
            self._note(
                where,
                f"fides_meta.after ({', '.join(after)}) has no Lawful equivalent; "
                "Lawful orders its work by references",
            )

    # -- references

    def _resolve_references(self, source: _Target) -> None:
        for item in source.collection.fields:
            here = f"{source.dataset.key}.{source.collection.name}.{item.name}"
            kept = None
            for reference in item.references:
                resolved = self._resolve(reference, here)
                if resolved is None:
                    continue
                if kept is not None:
                    self._note(
                        here,
                        f"also references {reference.dataset}.{reference.collection}."
                        f"{reference.field}; Lawful keeps one reference per field: "
                        f"kept `{kept['to']}`",
                    )
                    continue
                kept = resolved
                self.keys.add((source.dataset.key, source.collection.name, item.name))
                self.keys.add((reference.dataset, reference.collection, reference.field))
            if kept is not None:
                self.references[(source.dataset.key, source.collection.name, item.name)] = kept

    def _resolve(self, reference: FidesReference, here: str) -> dict[str, str] | None:
        named = f"{reference.dataset}.{reference.collection}.{reference.field}"
        if reference.dataset not in {d.key for d in self.datasets}:
            self._note(
                here,
                f"references {named}, but dataset `{reference.dataset}` is not in the files "
                "imported: reference left out; import that dataset too, "
                "or add `references:` by hand",
            )
            return None
        target = self.targets.get((reference.dataset, reference.collection))
        if target is None:
            self._problem(
                "F006",
                f"reference to unknown collection `{reference.dataset}.{reference.collection}`",
                "fix the collection name in `field:`",
                reference.position,
            )
            return None
        if reference.field not in {f.name for f in target.collection.fields}:
            names = ", ".join(f.name for f in target.collection.fields)
            self._problem(
                "F006",
                f"reference to unknown field `{named}`",
                f"fields of `{reference.collection}`: {names}",
                reference.position,
            )
            return None
        if not _PLAIN_FIELD.match(reference.field):
            self._note(
                here,
                f"references {named}: a Lawful reference names a top-level field "
                "(letters, digits, underscores), so it was left out",
            )
            return None
        resolved = {"to": f"{target.lawful_id}.{reference.field}"}
        if reference.direction is None:
            self._note(
                here,
                f"reference to {named} has no direction (Fides follows it both ways): "
                f"imported as `from` ({reference.collection} rows lead here); "
                f"set `direction: to` if rows here lead to {reference.collection}",
            )
        resolved["direction"] = reference.direction or "from"
        return resolved

    # -- datasets and fields

    def _dataset_entry(self, target: _Target) -> dict[str, Any] | None:
        dataset, collection = target.dataset, target.collection
        where = f"{dataset.key}.{collection.name}"
        self._note_collection(where, collection)
        fields: dict[str, dict[str, Any]] = {}
        left_out: list[str] = []
        for item in collection.fields:
            entry = self._field_entry(dataset.key, collection, item)
            if entry is None:
                left_out.append(item.name)
            else:
                fields[item.name] = entry
        if left_out:
            self._note(
                where,
                f"{len(left_out)} field(s) without personal data left out: {', '.join(left_out)}",
            )
        if not fields:
            self._note(where, "no personal data and no keys: not imported")
            return None
        return self._dataset_header(target, fields)

    def _dataset_header(self, target: _Target, fields: dict[str, dict[str, Any]]) -> dict[str, Any]:
        collection = target.collection
        entry: dict[str, Any] = {"system": self.system, "table": collection.name}
        if collection.description:
            entry["description"] = collection.description
        entry["subject"] = self._subject(target)
        primary_key = _primary_key(collection)
        if primary_key is not None:
            entry["primary_key"] = primary_key
        identities = self._identities(collection)
        if identities:
            entry["identities"] = identities
        events = {_event_name(name): name for name, f in fields.items() if _is_date_entry(name, f)}
        if events:
            entry["events"] = dict(sorted(events.items()))
        entry["fields"] = fields
        return entry

    def _subject(self, target: _Target) -> str:
        dataset, collection = target.dataset.key, target.collection.name
        for name in (f"{dataset}.{collection}", target.lawful_id, collection):
            if name in self.subjects:
                return self.subjects[name]
        return self.subject

    def _note_collection(self, where: str, collection: FidesCollection) -> None:
        if _primary_key(collection) is None:
            self._note(
                where,
                "no field is marked `primary_key` and there is no `id` field; "
                "set the dataset's `primary_key:` by hand",
            )
        self._note_summary(where, "collection", collection.summary_categories, collection.after)
        if collection.skip_processing:
            self._note(
                where,
                "skip_processing is set in Fides, but Lawful includes every dataset "
                "in requests; remove it from the map if it must stay untouched",
            )

    def _identities(self, collection: FidesCollection) -> dict[str, str | list[str]]:
        """Identity type → its column, or its columns when several hold it (two emails):
        every one is kept, so the person is searched in each."""
        found: dict[str, list[str]] = {}
        for item in collection.fields:
            if item.identity is not None:
                found.setdefault(_identity_type(item.identity), []).append(item.name)
        return {k: v[0] if len(v) == 1 else v for k, v in sorted(found.items())}

    def _field_entry(
        self, dataset_key: str, collection: FidesCollection, item: FidesField
    ) -> dict[str, Any] | None:
        key = (dataset_key, collection.name, item.name)
        where = ".".join(key)
        category = self._category(where, item)
        if item.custom_request_field:
            self._note(
                where,
                f"custom_request_field `{item.custom_request_field}` has no Lawful equivalent",
            )
        if category is None and key not in self.keys:
            return _date_entry(item)
        entry: dict[str, Any] = {"category": category or INTERNAL_ID_CATEGORY}
        entry["erase"] = self._erase(where, item, category=entry["category"], key=key in self.keys)
        if key in self.references:
            entry["references"] = self.references[key]
        if item.description:
            entry["description"] = item.description
        return entry

    def _category(self, where: str, item: FidesField) -> str | None:
        """The one Lawful category of a field (the most sensitive of its labels), or None."""
        personal = {
            found: label
            for label in item.categories
            if (found := lawful_category(label)) is not None
        }
        if not personal:
            if item.identity is None:
                return None
            kind = _identity_type(item.identity)
            return IDENTITY_CATEGORIES.get(kind, OTHER_IDENTITY_CATEGORY)
        chosen = min(personal, key=_rank)
        if chosen not in default_categories():
            self._note(
                where,
                f"category {personal[chosen]} has no Lawful equivalent: kept as `{chosen}`; "
                "declare it under your map's `categories:` (name, sensitivity) "
                "or set the field's `category:` to a default one",
            )
        others = ", ".join(f"`{found}`" for found in sorted(set(personal) - {chosen}))
        if others:
            self._note(
                where,
                f"has several categories; Lawful keeps one per field: "
                f"kept `{chosen}` (the most sensitive), not {others}",
            )
        return chosen

    def _erase(self, where: str, item: FidesField, *, category: str, key: bool) -> str:
        """How erasure masks the field (docs/fides.md, "Erase strategies")."""
        if key and item.identity is None and category in _LINK_CATEGORIES:
            # A bare key only links rows of our own systems; masking it would cut the links
            # the engine follows and break foreign keys.
            return "keep"
        if item.read_only:
            self._note(
                where,
                "read_only in Fides: erase set to `keep`; "
                "make sure the value is erased where it is written",
            )
            return "keep"
        if item.identity is not None or key:
            return "hash"  # still unique and joinable, no longer readable
        return "nullify"

    def _note(self, where: str, message: str) -> None:
        self.found.append((where, message))

    @property
    def notes(self) -> list[str]:
        """One line per thing not mapped, grouped by where it is in the fideslang files."""
        ordered = sorted(self.found, key=lambda note: note[0].split("."))
        return [f"{where}: {message}" for where, message in ordered]

    def _problem(self, code: str, message: str, hint: str, position: Position | None) -> None:
        self.problems.append(Problem(code, message, hint, position))


def _primary_key(collection: FidesCollection) -> str | list[str] | None:
    """The field Fides marks `primary_key` (every one, in order, for a composite key), else
    `id`."""
    marked = [item.name for item in collection.fields if item.primary_key]
    if marked:
        return marked[0] if len(marked) == 1 else marked
    return "id" if any(item.name == "id" for item in collection.fields) else None


def _date_entry(item: FidesField) -> dict[str, Any] | None:
    """A date column with no personal data: kept (never masked) so a retention rule can
    count from it (`events:`); None for any other non-personal field."""
    if not _PLAIN_FIELD.match(item.name):
        return None
    typed = item.data_type is not None and _DATE_TYPES.match(item.data_type) is not None
    if not typed and not _DATE_NAME.search(item.name):
        return None
    entry: dict[str, Any] = {"category": DATE_CATEGORY, "erase": "keep"}
    entry["provided_by_subject"] = False
    if item.description:
        entry["description"] = item.description
    return entry


def _is_date_entry(name: str, entry: dict[str, Any]) -> bool:
    return entry.get("category") == DATE_CATEGORY and _PLAIN_FIELD.match(name) is not None


def _event_name(column: str) -> str:
    """`created_at` → `created`, `order_date` → `order_date`: the event a rule starts from."""
    short = re.sub(r"_(at|on)$", "", column, flags=re.IGNORECASE)
    return identifier(short)


def _identity_type(fides_identity: str) -> str:
    return _IDENTITY_TYPES.get(fides_identity, identifier(fides_identity))


def _rank(category: str) -> int:
    known = default_categories().get(category)
    return _SENSITIVITY_RANK[known.sensitivity if known else Sensitivity.ordinary]
