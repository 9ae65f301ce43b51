"""The example map and the generated databases describe the same company."""

from __future__ import annotations

import re
import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

from lawful.datamap.checks import check_datamap
from lawful.datamap.loader import LoadedMap
from lawful.datamap.models import Dataset
from lawful.demo.generate import GenerationResult
from lawful.demo.schema import SYSTEMS, database_file

EMAIL = re.compile(r"^[a-z0-9.]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.example$")  # RFC 2606 domains only
E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")  # ITU-T E.164: a plus, then at most 15 digits
EMAIL_IDENTITIES = {"email", "work_email"}
PHONE_IDENTITIES = {"phone", "ani"}


def _path(loaded: LoadedMap, company: GenerationResult, dataset: Dataset) -> Path:
    connection = loaded.datamap.systems[dataset.system].connection
    assert connection is not None
    assert connection.path is not None
    return company.out_dir / connection.path


def _table(dataset_id: str, dataset: Dataset) -> str:
    return dataset.table or dataset_id


def _values(
    loaded: LoadedMap, company: GenerationResult, kinds: set[str]
) -> Iterator[tuple[str, str, object]]:
    """(dataset, field, value) for every non-null value of the identities of these kinds."""
    for did, dataset in loaded.datamap.datasets.items():
        with closing(sqlite3.connect(_path(loaded, company, dataset))) as db:
            for kind, field in dataset.identities.items():
                if kind in kinds and isinstance(field, str):
                    sql = f"SELECT {field} FROM {_table(did, dataset)} WHERE {field} IS NOT NULL"
                    for (value,) in db.execute(sql):
                        yield did, field, value


def test_the_example_map_passes_every_check(example_map: LoadedMap) -> None:
    assert [str(problem) for problem in check_datamap(example_map)] == []


def test_every_system_is_one_generated_sqlite_file(example_map: LoadedMap) -> None:
    systems = example_map.datamap.systems
    files = {sid: s.connection.path for sid, s in systems.items() if s.connection}
    assert files == {system: database_file(system) for system in SYSTEMS}
    assert {s.connection.type for s in systems.values() if s.connection} == {"sqlite"}


def test_every_dataset_is_a_table_whose_columns_are_exactly_its_fields(
    example_map: LoadedMap, company: GenerationResult
) -> None:
    mapped: dict[tuple[str, str], list[str]] = {
        (dataset.system, _table(did, dataset)): list(dataset.fields)
        for did, dataset in example_map.datamap.datasets.items()
    }
    generated: dict[tuple[str, str], list[str]] = {}
    for system in SYSTEMS:
        with closing(sqlite3.connect(company.out_dir / database_file(system))) as db:
            tables = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            for (table,) in tables.fetchall():
                columns = db.execute(f"PRAGMA table_info({table})").fetchall()
                generated[(system, table)] = [column[1] for column in columns]
    assert generated == mapped


def test_every_primary_key_is_the_tables_primary_key(
    example_map: LoadedMap, company: GenerationResult
) -> None:
    for did, dataset in example_map.datamap.datasets.items():
        with closing(sqlite3.connect(_path(example_map, company, dataset))) as db:
            columns = db.execute(f"PRAGMA table_info({_table(did, dataset)})").fetchall()
        assert [c[1] for c in columns if c[5]] == [dataset.primary_key], did


def test_every_reference_points_at_an_existing_row(
    example_map: LoadedMap, company: GenerationResult
) -> None:
    datasets = example_map.datamap.datasets
    for did, dataset in datasets.items():
        for name, field in dataset.fields.items():
            if field.references is None:
                continue
            target_id, _, target_field = field.references.to.partition(".")
            target = datasets[target_id]
            with closing(sqlite3.connect(_path(example_map, company, dataset))) as db:
                db.execute(
                    "ATTACH DATABASE ? AS target", (str(_path(example_map, company, target)),)
                )
                used, dangling = db.execute(
                    f"SELECT COUNT(c.{name}), COUNT(c.{name}) - COUNT(t.{target_field}) "
                    f"FROM main.{_table(did, dataset)} AS c "
                    f"LEFT JOIN target.{_table(target_id, target)} AS t "
                    f"ON t.{target_field} = c.{name}"
                ).fetchone()
            assert used > 0, f"{did}.{name} is never filled"
            assert dangling == 0, (
                f"{did}.{name}: {dangling} values point at no {field.references.to}"
            )


def test_identity_and_reference_columns_are_indexed(
    example_map: LoadedMap, company: GenerationResult
) -> None:
    for did, dataset in example_map.datamap.datasets.items():
        table = _table(did, dataset)
        with closing(sqlite3.connect(_path(example_map, company, dataset))) as db:
            indexes = [row[1] for row in db.execute(f"PRAGMA index_list({table})")]
            indexed = {db.execute(f"PRAGMA index_info({ix})").fetchone()[2] for ix in indexes}
        looked_up = set(dataset.identities.values()) | {
            name for name, field in dataset.fields.items() if field.references
        }
        assert looked_up - indexed - {dataset.primary_key} == set(), did


def test_emails_are_well_formed_unique_and_on_reserved_example_domains(
    example_map: LoadedMap, company: GenerationResult
) -> None:
    values = list(_values(example_map, company, EMAIL_IDENTITIES))
    assert values
    assert [v for v in values if not EMAIL.match(str(v[2]))] == []
    repeated = [email for email, n in Counter(v[2] for v in values).items() if n > 1]
    assert repeated == []


def test_phone_numbers_and_caller_ids_are_in_e164_form(
    example_map: LoadedMap, company: GenerationResult
) -> None:
    values = list(_values(example_map, company, PHONE_IDENTITIES))
    assert {did for did, _, _ in values} >= {"candidates", "employees", "lumiere_calls"}
    assert [v for v in values if not E164.match(str(v[2]))] == []


def test_no_two_people_share_a_phone_number(
    example_map: LoadedMap, company: GenerationResult
) -> None:
    # Only in the records of people: calls repeat numbers on purpose (one customer, many calls).
    people = {did for did, d in example_map.datamap.datasets.items() if "email" in d.identities}
    phones = [v for did, _, v in _values(example_map, company, {"phone"}) if did in people]
    assert len(phones) > 500
    assert [phone for phone, n in Counter(phones).items() if n > 1] == []


def test_emergency_contacts_phones_are_in_e164_form(
    example_map: LoadedMap, company: GenerationResult
) -> None:
    with closing(sqlite3.connect(company.out_dir / "hris.sqlite")) as db:
        phones = [row[0] for row in db.execute("SELECT phone FROM emergency_contacts")]
    assert phones
    assert [phone for phone in phones if not E164.match(phone)] == []
