"""Import Ethyca Fides (fideslang) dataset YAML as Lawful datasets, so Fides users can switch.

A fideslang file lists datasets; each dataset has collections (tables) and each collection
has fields labelled with fideslang data categories and `fides_meta` (identity, primary key,
references). Each collection becomes one Lawful dataset `<fides_key>_<collection>`.

What does not fit Lawful's model is never dropped silently: it is returned as one line in
`FidesImportResult.unmapped`. Malformed input raises `FidesImportError` with problems that
point at `file:line:col`. The mapping is documented in docs/fides.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lawful.datamap.models import ID_PATTERN, Sensitivity
from lawful.datamap.problems import DataMapError, DataPath, Position, Problem, SourceMap
from lawful.datamap.taxonomy import default_categories
from lawful.datamap.yamlsource import convert_mapping, parse_yaml_file

# --- the category mapping -------------------------------------------------------------------

# fideslang data category → Lawful default-taxonomy category. A key not listed here is looked
# up by its parents (`user.contact.address.county` → `user.contact.address`), stopping before
# the bare root `user`, which says nothing about what the field holds.
FIDES_TO_LAWFUL: dict[str, str] = {
    "user.account": "account",
    "user.account.settings": "preference",
    "user.account.username": "account.username",
    "user.authorization": "account.credentials",
    "user.credentials": "account.credentials",
    "user.credentials.biometric_credentials": "special.biometric",  # GDPR Art. 9(1)
    "user.behavior": "online_activity",
    "user.behavior.browsing_history": "online_activity.browsing",
    "user.behavior.search_history": "online_activity.browsing",
    "user.behavior.purchase_history": "commercial.purchase",
    "user.browsing_history": "online_activity.browsing",
    "user.search_history": "online_activity.browsing",
    "user.media_consumption": "online_activity",
    "user.observed": "online_activity",
    "user.telemetry": "online_activity.product_usage",
    "user.biometric": "special.biometric",  # GDPR Art. 9(1)
    "user.biometric.health": "special.health",  # GDPR Art. 9(1)
    "user.biometric_health": "special.health",
    "user.contact": "contact",
    "user.contact.address": "contact.postal_address",
    "user.contact.street": "contact.postal_address",  # fideslang 1.x address parts
    "user.contact.city": "contact.postal_address",
    "user.contact.state": "contact.postal_address",
    "user.contact.postal_code": "contact.postal_address",
    "user.contact.country": "contact.postal_address",
    "user.contact.email": "contact.email",
    "user.contact.phone_number": "contact.phone",
    "user.contact.fax_number": "contact.phone",
    "user.contact.organization": "professional.job_title",
    "user.content": "communication",
    "user.content.private": "communication.private_content",  # CPRA §1798.140(ae)(1)(E)
    "user.content.self_image": "photo",
    "user.demographic": "demographic",
    "user.demographic.age_range": "demographic.age",
    "user.demographic.date_of_birth": "demographic.birth_date",
    "user.demographic.gender": "demographic.gender",
    "user.demographic.marital_status": "demographic.marital_status",
    "user.demographic.profile": "inference.profile",
    "user.demographic.political_opinion": "special.political_opinion",  # GDPR Art. 9(1)
    "user.demographic.race_ethnicity": "special.racial_ethnic_origin",
    "user.demographic.religious_belief": "special.religious_belief",
    "user.demographic.sexual_orientation": "special.sexual_orientation",
    "user.date_of_birth": "demographic.birth_date",
    "user.gender": "demographic.gender",
    "user.non_specific_age": "demographic.age",
    "user.political_opinion": "special.political_opinion",
    "user.race": "special.racial_ethnic_origin",
    "user.religious_belief": "special.religious_belief",
    "user.sexual_orientation": "special.sexual_orientation",
    "user.genetic": "special.genetic",
    "user.health_and_medical": "special.health",
    "user.health_and_medical.genetic": "special.genetic",
    "user.criminal_history": "criminal.record",  # GDPR Art. 10
    "user.device": "device",
    "user.device.cookie": "identifier.cookie_id",
    "user.device.cookie_id": "identifier.cookie_id",
    "user.device.device_id": "identifier.device_id",
    "user.device.ip_address": "identifier.ip_address",
    "user.user_sensor": "device",
    "user.sensor": "device",
    "user.location": "location",
    "user.location.imprecise": "location.approximate",
    "user.location.precise": "location.precise",  # CPRA §1798.140(w): 1,850 ft radius
    "user.financial": "financial",
    "user.financial.bank_account": "financial.bank_account",
    "user.financial.credit_card": "financial.payment_card",
    "user.payment": "financial",
    "user.government_id": "identifier.government_id",
    "user.government_id.drivers_license_number": "identifier.government_id.national_id",
    "user.government_id.national_identification_number": "identifier.government_id.national_id",
    "user.government_id.passport_number": "identifier.government_id.passport",
    "user.id": "identifier.internal",  # fideslang 3.x name of user.unique_id
    "user.unique_id": "identifier.internal",
    "user.job_title": "professional.job_title",
    "user.workplace": "professional.job_title",
    "user.organization": "professional",
    "user.name": "name",
    "user.privacy_preferences": "preference.privacy",
    "user.profiling": "inference.profile",
    "user.social": "social_media",
}

# Non-personal fields that must still be listed because the engine walks through them
# (primary keys, references) get this category, and are never masked.
INTERNAL_ID_CATEGORY = "identifier.internal"
# The category given to an identity field Fides left unlabelled, by Lawful identity type.
IDENTITY_CATEGORIES = {"email": "contact.email", "phone": "contact.phone"}
OTHER_IDENTITY_CATEGORY = "identifier.customer"
# Keys in these categories are kept on erasure: they only point at rows of our own systems.
_LINK_CATEGORIES = frozenset({INTERNAL_ID_CATEGORY, "identifier.customer"})

# fideslang 1.x wrote `user.provided.identifiable.contact.email`; 2.x writes
# `user.contact.email`. Older keys are rewritten to the newer form before the look-up.
_LEGACY_PREFIXES = (
    ("user.provided.identifiable.", "user."),
    ("user.derived.identifiable.", "user."),
    ("account.contact.", "user.contact."),
    ("account.payment.", "user.financial."),
)
_PLAIN_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")  # what `Reference.to` accepts
# Columns a retention rule can count from (`events:`): a date type, or a date-like name.
DATE_CATEGORY = "record.timestamp"
_DATE_TYPES = re.compile(r"^(date|datetime|timestamp|time)", re.IGNORECASE)
_DATE_NAME = re.compile(r"(^|_)(date|datetime|timestamp|time|day)$|_(at|on)$", re.IGNORECASE)
_NOT_PERSONAL = re.compile(r"^(system|user\.(provided|derived)\.nonidentifiable)(\.|$)")
# Fides identity types whose Lawful name differs; others keep their (normalised) name.
_IDENTITY_TYPES = {"email": "email", "phone_number": "phone"}
_SENSITIVITY_RANK = {
    Sensitivity.special: 0,
    Sensitivity.criminal: 1,
    Sensitivity.sensitive_pi: 2,
    Sensitivity.ordinary: 3,
}


def lawful_category(fides_category: str) -> str | None:
    """The Lawful category for a fideslang one; None when it is not personal data.

    A personal category with no Lawful equivalent is returned as itself (made a valid id),
    so the field stays in the map and `lawful check` asks for the category to be declared.
    """
    key = fides_category.strip().lower()
    for old, new in _LEGACY_PREFIXES:
        if key.startswith(old):
            key = new + key.removeprefix(old)
    if _NOT_PERSONAL.match(key):
        return None
    parts = key.split(".")
    for end in range(len(parts), 1, -1):
        found = FIDES_TO_LAWFUL.get(".".join(parts[:end]))
        if found is not None:
            return found
    return _category_id(fides_category)


def _category_id(text: str) -> str:
    parts = [_identifier(part) for part in text.strip().lower().split(".") if part.strip()]
    return ".".join(parts) or "unknown"


def _identifier(text: str) -> str:
    """`text` as a Lawful id: lowercase letters, digits and single underscores."""
    cleaned = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    if not cleaned:
        return "unnamed"
    return cleaned if cleaned[0].isalpha() else f"x_{cleaned}"


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
    converter = _Converter(datasets, system=system, subject=subject, subjects=per_collection)
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
        for name in (c.name, f"{d.key}.{c.name}", _identifier(f"{d.key}_{c.name}"))
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
                f"use lowercase letters, digits and underscores, e.g. `{_identifier(value)}`",
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


# --- reading fideslang files ----------------------------------------------------------------


@dataclass(frozen=True)
class FidesReference:
    dataset: str
    collection: str
    field: str
    direction: str | None
    position: Position | None


@dataclass(frozen=True)
class FidesField:
    """A leaf field; fields nested in an object field are flattened to `parent.child`."""

    name: str
    categories: tuple[str, ...]
    description: str | None
    identity: str | None
    primary_key: bool
    read_only: bool
    custom_request_field: str | None
    references: tuple[FidesReference, ...]
    position: Position | None
    data_type: str | None = None


@dataclass(frozen=True)
class FidesCollection:
    name: str
    description: str | None
    fields: tuple[FidesField, ...]
    summary_categories: tuple[str, ...]
    after: tuple[str, ...]
    skip_processing: bool
    position: Position | None


@dataclass(frozen=True)
class FidesDataset:
    key: str
    collections: tuple[FidesCollection, ...]
    summary_categories: tuple[str, ...]
    after: tuple[str, ...]
    position: Position | None


@dataclass
class _Source:
    """One file being read: where each value was written, and the problems found so far."""

    path: Path
    sources: SourceMap
    problems: list[Problem]

    def where(self, at: DataPath) -> Position:
        return self.sources.locate(at) or Position(self.path, 1, 1)

    def report(self, code: str, message: str, hint: str, at: DataPath) -> None:
        self.problems.append(Problem(code, message, hint, self.where(at)))


def read_fides_file(path: Path, problems: list[Problem]) -> list[FidesDataset]:
    """The datasets of one fideslang file; problems found are appended to `problems`."""
    if not path.is_file():
        problems.append(
            Problem("F001", f"file not found: {path}", "check the path", Position(path, 1, 1))
        )
        return []
    parsed = parse_yaml_file(path, problems, None)
    if parsed is None:
        return []
    node, loader = parsed
    top = Position(path, 1, 1)
    hint = "a fideslang dataset file starts with `dataset:` followed by a list of datasets"
    if not isinstance(node, yaml.MappingNode):
        problems.append(Problem("F002", f"{path.name} is not a fideslang dataset file", hint, top))
        return []
    data, sources = convert_mapping(node, loader, path, (), problems)
    source = _Source(path, sources, problems)
    if "dataset" not in data:
        found = ", ".join(f"`{key}:`" for key in data) or "nothing"
        where = sources.keys.get((next(iter(data)),), top) if data else top
        problems.append(Problem("F002", f"no `dataset:` key (found {found})", hint, where))
        return []
    items = _list(source, data["dataset"], ("dataset",), "`dataset`") or []
    datasets = [_read_dataset(source, item, ("dataset", i)) for i, item in enumerate(items)]
    return [dataset for dataset in datasets if dataset is not None]


def _read_dataset(source: _Source, value: object, at: DataPath) -> FidesDataset | None:
    entry = _mapping(source, value, at, "a dataset")
    if entry is None:
        return None
    key = _required_text(source, entry, "fides_key", at, "the dataset")
    meta, meta_at = _meta(source, entry, at)
    collections_at = (*at, "collections")
    label = f"dataset `{key}`" if key else "the dataset"
    if "collections" not in entry:
        source.report("F003", f"{label} has no `collections`", "add `collections:`", at)
        return None
    items = _list(source, entry["collections"], collections_at, "`collections`") or []
    if not items:
        source.report(
            "F004",
            f"{label} has no collections",
            "list its tables under `collections:`, or leave the file out",
            collections_at,
        )
    collections = [
        _read_collection(source, item, (*collections_at, i)) for i, item in enumerate(items)
    ]
    if key is None:
        return None
    return FidesDataset(
        key=key,
        collections=tuple(c for c in collections if c is not None),
        summary_categories=_text_list(source, entry, "data_categories", at),
        after=_text_list(source, meta, "after", meta_at),
        position=source.where(at),
    )


def _read_collection(source: _Source, value: object, at: DataPath) -> FidesCollection | None:
    entry = _mapping(source, value, at, "a collection")
    if entry is None:
        return None
    name = _required_text(source, entry, "name", at, "the collection")
    meta, meta_at = _meta(source, entry, at)
    fields_at = (*at, "fields")
    if not entry.get("fields"):
        source.report(
            "F004",
            f"collection `{name}` has no fields" if name else "the collection has no fields",
            "list its fields under `fields:`; a collection without fields cannot be traversed",
            fields_at if "fields" in entry else at,
        )
        return None
    items = _list(source, entry["fields"], fields_at, "`fields`")
    if items is None:
        return None
    fields = _read_fields(source, items, fields_at, prefix="")
    _report_duplicate_fields(source, fields)
    if name is None:
        return None
    return FidesCollection(
        name=name,
        description=_optional_text(source, entry, "description", at),
        fields=tuple(fields),
        summary_categories=_text_list(source, entry, "data_categories", at),
        after=_text_list(source, meta, "after", meta_at),
        skip_processing=_flag(source, meta, "skip_processing", meta_at),
        position=source.where(at),
    )


def _report_duplicate_fields(source: _Source, fields: list[FidesField]) -> None:
    seen: set[str] = set()
    for item in fields:
        if item.name in seen:
            source.problems.append(
                Problem("F005", f"field `{item.name}` is listed twice", "keep one", item.position)
            )
        seen.add(item.name)


def _read_fields(
    source: _Source, items: list[Any], at: DataPath, *, prefix: str
) -> list[FidesField]:
    found: list[FidesField] = []
    for index, item in enumerate(items):
        found.extend(_read_field(source, item, (*at, index), prefix=prefix))
    return found


def _read_field(source: _Source, value: object, at: DataPath, *, prefix: str) -> list[FidesField]:
    entry = _mapping(source, value, at, "a field")
    if entry is None:
        return []
    name = _required_text(source, entry, "name", at, "the field")
    children = (
        _list(source, entry.get("fields"), (*at, "fields"), "`fields`")
        if entry.get("fields")
        else None
    )
    if children:
        if entry.get("data_categories"):
            source.report(
                "F003",
                f"object field `{prefix}{name}` has sub-fields and its own `data_categories`",
                "label its sub-fields instead (Fides rejects this too)",
                (*at, "data_categories"),
            )
        return _read_fields(source, children, (*at, "fields"), prefix=f"{prefix}{name}.")
    meta, meta_at = _meta(source, entry, at)
    references_at = (*meta_at, "references")
    references = meta.get("references")
    if references is not None:
        references = _list(source, references, references_at, "`references`")
    if name is None:
        return []
    return [
        FidesField(
            name=f"{prefix}{name}",
            categories=_text_list(source, entry, "data_categories", at),
            description=_optional_text(source, entry, "description", at),
            identity=_optional_text(source, meta, "identity", meta_at),
            primary_key=_flag(source, meta, "primary_key", meta_at),
            read_only=_flag(source, meta, "read_only", meta_at),
            custom_request_field=_optional_text(source, meta, "custom_request_field", meta_at),
            references=tuple(_read_references(source, references or [], references_at)),
            position=source.where(at),
            data_type=_optional_text(source, meta, "data_type", meta_at),
        )
    ]


def _read_references(source: _Source, items: list[Any], at: DataPath) -> Iterator[FidesReference]:
    for index, item in enumerate(items):
        here = (*at, index)
        entry = _mapping(source, item, here, "a reference")
        if entry is None:
            continue
        dataset = _required_text(source, entry, "dataset", here, "the reference")
        target = _required_text(source, entry, "field", here, "the reference")
        direction = entry.get("direction")
        if direction not in (None, "from", "to"):
            source.report(
                "F007",
                f"reference direction `{direction}` is neither `from` nor `to`",
                "write `direction: from` (found from the referenced rows) or `direction: to`",
                (*here, "direction"),
            )
            continue
        if target is not None and "." not in target:
            source.report(
                "F007",
                f"reference field `{target}` does not name its collection",
                f"write `field: <collection>.{target}`",
                (*here, "field"),
            )
            continue
        if dataset is None or target is None:
            continue
        collection, _, name = target.partition(".")
        yield FidesReference(dataset, collection, name, direction, source.where((*here, "field")))


def _meta(source: _Source, entry: dict[str, Any], at: DataPath) -> tuple[dict[str, Any], DataPath]:
    """`fides_meta`, or `fidesops_meta` as older files call it."""
    for key in ("fides_meta", "fidesops_meta"):
        if entry.get(key) is not None:
            return _mapping(source, entry[key], (*at, key), f"`{key}`") or {}, (*at, key)
    return {}, at


def _mapping(source: _Source, value: object, at: DataPath, what: str) -> dict[str, Any] | None:
    if isinstance(value, dict):
        return value
    source.report("F003", f"{what} must be a mapping", "write `key: value` lines under it", at)
    return None


def _list(source: _Source, value: object, at: DataPath, what: str) -> list[Any] | None:
    if isinstance(value, list):
        return value
    source.report("F003", f"{what} must be a list", "write one `- item` per line under it", at)
    return None


def _required_text(
    source: _Source, entry: dict[str, Any], key: str, at: DataPath, owner: str
) -> str | None:
    if key not in entry:
        source.report("F003", f"{owner} has no `{key}`", f"add `{key}:`", at)
        return None
    return _optional_text(source, entry, key, at)


def _optional_text(source: _Source, entry: dict[str, Any], key: str, at: DataPath) -> str | None:
    value = entry.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        source.report("F003", f"`{key}` must be text", "quote the value", (*at, key))
        return None
    return value.strip()


def _text_list(source: _Source, entry: dict[str, Any], key: str, at: DataPath) -> tuple[str, ...]:
    value = entry.get(key)
    if value is None:
        return ()
    items = _list(source, value, (*at, key), f"`{key}`") or []
    texts = [item.strip() for item in items if isinstance(item, str) and item.strip()]
    if len(texts) != len(items):
        source.report("F003", f"each entry of `{key}` must be text", "quote the values", (*at, key))
    return tuple(texts)


def _flag(source: _Source, entry: dict[str, Any], key: str, at: DataPath) -> bool:
    value = entry.get(key)
    if value is None or isinstance(value, bool):
        return bool(value)
    source.report("F003", f"`{key}` must be true or false", "write `true` or `false`", (*at, key))
    return False


# --- converting to Lawful datasets ----------------------------------------------------------

FieldKey = tuple[str, str, str]  # fides dataset key, collection name, field name


@dataclass(frozen=True)
class _Target:
    dataset: FidesDataset
    collection: FidesCollection
    lawful_id: str


@dataclass
class _Converter:
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
        lawful_id = _identifier(f"{dataset.key}_{collection.name}")
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
    return _identifier(short)


def _identity_type(fides_identity: str) -> str:
    return _IDENTITY_TYPES.get(fides_identity, _identifier(fides_identity))


def _rank(category: str) -> int:
    known = default_categories().get(category)
    return _SENSITIVITY_RANK[known.sensitivity if known else Sensitivity.ordinary]
