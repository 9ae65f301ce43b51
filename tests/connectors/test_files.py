"""The file connectors (CSV, JSONL, Parquet) on real files in a temporary folder."""

from __future__ import annotations

import csv
import json
import os
import random
import stat
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lawful.connectors import Connector, ConnectorError, open_connector
from lawful.connectors import files as files_module
from lawful.datamap.models import Connection

Row = dict[str, Any]
KINDS = ["csv", "jsonl", "parquet"]
SCHEMA = pa.schema([("id", pa.int64()), ("email", pa.string()), ("name", pa.string())])


def people(count: int, ids: list[int] | None = None) -> list[Row]:
    """Made-up people, never real personal data."""
    return [
        {"id": i, "email": f"person{i}@example.org", "name": f"Person {i}"}
        for i in (ids or range(1, count + 1))
    ]


def write(kind: str, path: Path, rows: list[Row]) -> None:
    if kind == "csv":
        with path.open("w", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=["id", "email", "name"])
            writer.writeheader()
            writer.writerows(rows)
    elif kind == "jsonl":
        path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    else:
        pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), path)


def read(kind: str, path: Path) -> list[Row]:
    """The file's rows, typed like the fixture wrote them (CSV ids back to int)."""
    if kind == "csv":
        with path.open(newline="") as source:
            return [{**r, "id": int(r["id"])} for r in csv.DictReader(source)]
    if kind == "jsonl":
        return [json.loads(line) for line in path.read_text().splitlines()]
    return list(pq.read_table(path).to_pylist())


class Folder:
    """A folder holding `people.<kind>`, and connectors opened on it."""

    def __init__(self, kind: str, root: Path) -> None:
        self.kind = kind
        self.root = root
        self.file = root / f"people.{kind}"

    def open(self, path: str = "data", **options: object) -> Connector:
        connection = Connection(type=self.kind, path=path, options=options)
        return open_connector("exports", connection, base_dir=self.root.parent, environ={})

    def rows(self) -> list[Row]:
        return read(self.kind, self.file)

    def names(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir())


MakeFolder = Callable[[list[Row]], Folder]


@pytest.fixture(params=KINDS)
def folder(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[list[Row]], Folder]:
    """`folder(rows)`: a data folder with `people.<kind>` holding those rows."""
    kind: str = request.param
    root = tmp_path / "data"
    root.mkdir()

    def make(rows: list[Row]) -> Folder:
        made = Folder(kind, root)
        write(kind, made.file, rows)
        return made

    return make


def ids(rows: list[Row]) -> list[int]:
    return sorted(int(r["id"]) for r in rows)


def test_a_file_connector_implements_the_protocol(folder: MakeFolder) -> None:
    connector = folder(people(1)).open()
    assert isinstance(connector, Connector)
    connector.test_connection()


def test_fetch_finds_rows_by_any_of_several_fields_once_each(folder: MakeFolder) -> None:
    rows = (
        folder(people(10))
        .open()
        .fetch(
            "people",
            where={"email": ["person2@example.org", "person5@example.org"], "id": [5, "7", 99]},
            columns=["id", "name"],
        )
    )
    assert ids(rows) == [2, 5, 7]
    assert all(set(row) == {"id", "name"} for row in rows)


def test_the_table_may_be_named_with_or_without_its_extension(folder: MakeFolder) -> None:
    made = folder(people(3))
    connector = made.open()
    assert connector.count("people") == 3
    assert connector.count(made.file.name) == 3


def test_path_may_name_a_single_file(folder: MakeFolder) -> None:
    made = folder(people(4))
    connector = made.open(path=f"data/{made.file.name}")
    assert connector.count("whatever") == 4


def test_update_rewrites_exactly_the_rows_named_by_their_key(folder: MakeFolder) -> None:
    made = folder(people(5))
    changed = made.open().update(
        "people",
        key="id",
        rows=[
            {"id": 2, "email": None, "name": "Erased"},
            {"id": "4", "name": "Masked"},
            {"id": 99},
        ],
    )
    assert changed == 2
    after = {r["id"]: r for r in made.rows()}
    assert after[2]["name"] == "Erased"
    assert after[2]["email"] in (None, "")  # CSV has no null: an empty cell
    assert after[4] == {"id": 4, "email": "person4@example.org", "name": "Masked"}
    assert [after[i] for i in (1, 3, 5)] == [people(5)[i - 1] for i in (1, 3, 5)]
    assert made.names() == [made.file.name]  # no temp file left behind


def test_delete_removes_exactly_the_rows_named_by_their_key(folder: MakeFolder) -> None:
    made = folder(people(1200))
    deleted = made.open().delete("people", key="id", keys=[*range(1, 1101), 5000])
    assert deleted == 1100
    assert ids(made.rows()) == list(range(1101, 1201))


def test_deleting_every_row_leaves_a_valid_empty_file(folder: MakeFolder) -> None:
    made = folder(people(3))
    connector = made.open()
    assert connector.delete("people", key="id", keys=[1, 2, 3]) == 3
    assert connector.count("people") == 0
    assert made.rows() == []


def test_a_change_that_matches_nothing_leaves_the_file_untouched(folder: MakeFolder) -> None:
    made = folder(people(3))
    before = made.file.stat()
    connector = made.open()
    assert connector.delete("people", key="id", keys=[42]) == 0
    assert connector.update("people", key="id", rows=[{"id": 42, "name": "x"}]) == 0
    after = made.file.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_count_counts_every_row_or_only_the_matching_ones(folder: MakeFolder) -> None:
    connector = folder(people(30)).open()
    assert connector.count("people") == 30
    assert connector.count("people", where={"email": ["person3@example.org"], "id": [3, 4]}) == 2


def test_scan_pages_through_every_row_exactly_once(folder: MakeFolder) -> None:
    shuffled = random.Random(3).sample(range(1, 10_000), 537)
    connector = folder(people(0, ids=shuffled)).open()
    seen: list[int] = []
    after = None
    while page := connector.scan("people", key="id", columns=["email"], after=after, limit=50):
        seen.extend(int(row["id"]) for row in page)
        after = page[-1]["id"]
    assert sorted(seen) == sorted(shuffled)
    assert len(seen) == len(set(seen))


def test_scan_sees_changes_made_to_the_file_between_pages(folder: MakeFolder) -> None:
    connector = folder(people(30)).open()
    first = connector.scan("people", key="id", columns=["name"], limit=10)
    later = sorted(set(range(1, 31)) - {int(r["id"]) for r in first})
    connector.delete("people", key="id", keys=later[:3])
    connector.update("people", key="id", rows=[{"id": later[3], "name": "Masked"}])
    rest: list[Row] = []
    while page := connector.scan(
        "people", key="id", columns=["name"], after=(rest or first)[-1]["id"], limit=7
    ):
        rest.extend(page)
    assert ids(rest) == later[3:]
    assert [r["name"] for r in rest if int(r["id"]) == later[3]] == ["Masked"]


def test_typed_files_scan_in_numeric_key_order(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    write("jsonl", tmp_path / "data" / "people.jsonl", people(0, ids=[10, 9, 100, 1]))
    connector = Folder("jsonl", tmp_path / "data").open()
    page = connector.scan("people", key="id", columns=[], after=None, limit=3)
    assert [row["id"] for row in page] == [1, 9, 10]


@pytest.mark.parametrize(
    ("kind", "serializer"),
    [("csv", "_csv_cells"), ("jsonl", "_json_line"), ("parquet", "_arrow_batch")],
)
def test_a_failure_halfway_through_a_rewrite_leaves_the_original_intact(
    kind: str, serializer: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = Folder(kind, tmp_path / "data")
    made.root.mkdir()
    write(kind, made.file, people(20))
    original = made.file.read_bytes()
    real = getattr(files_module, serializer)
    calls = {"n": 0}

    def fail_on_the_third_call(*args: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(28, "No space left on device")
        return real(*args)

    monkeypatch.setattr(files_module, serializer, fail_on_the_third_call)
    monkeypatch.setattr(files_module.ParquetConnector, "ROWS_PER_BATCH", 2)
    with pytest.raises(ConnectorError) as caught:
        made.open().update("people", key="id", rows=[{"id": i, "name": "M"} for i in range(1, 21)])
    assert calls["n"] == 3  # it did fail partway, after writing some rows
    assert "(No space left on device); the file is unchanged" in str(caught.value)
    assert caught.value.system == "exports"
    assert caught.value.dataset == "people"
    assert made.file.read_bytes() == original
    assert made.names() == [made.file.name]


def test_a_rewrite_keeps_the_file_mode(folder: MakeFolder) -> None:
    made = folder(people(3))
    made.file.chmod(0o640)
    made.open().delete("people", key="id", keys=[1])
    assert stat.S_IMODE(made.file.stat().st_mode) == 0o640


def test_a_missing_file_is_named_with_the_folder(folder: MakeFolder) -> None:
    connector = folder(people(1)).open()
    with pytest.raises(ConnectorError, match="no file `customers`") as caught:
        connector.fetch("customers", where={"id": [1]}, columns=["id"])
    assert caught.value.dataset == "customers"
    assert caught.value.system == "exports"


def test_a_missing_folder_is_reported_by_the_connection_test(tmp_path: Path) -> None:
    connection = Connection(type="csv", path="nowhere")
    connector = open_connector("exports", connection, base_dir=tmp_path, environ={})
    with pytest.raises(ConnectorError, match="nowhere does not exist"):
        connector.test_connection()


def test_a_missing_column_is_named_with_the_real_ones(folder: MakeFolder) -> None:
    made = folder(people(2))
    original = made.file.read_bytes()
    with pytest.raises(
        ConnectorError, match=r"column `phone` does not exist .*\(it has: id, email, name\)"
    ):
        made.open().update("people", key="id", rows=[{"id": 1, "phone": None}])
    assert made.file.read_bytes() == original


@pytest.mark.parametrize("table", ["../secrets", "/etc/passwd", "..", "a/b"])
def test_a_table_name_cannot_leave_the_folder(folder: MakeFolder, table: str) -> None:
    connector = folder(people(1)).open()
    with pytest.raises(ConnectorError, match="not a plain file name"):
        connector.count(table)


def test_csv_compares_values_as_text(tmp_path: Path) -> None:
    made = Folder("csv", tmp_path / "data")
    made.root.mkdir()
    write("csv", made.file, people(3))
    rows = made.open().fetch("people", where={"id": [2]}, columns=["id", "name"])
    assert rows == [{"id": "2", "name": "Person 2"}]


def test_csv_keeps_its_delimiter_line_endings_and_byte_order_mark(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    path = tmp_path / "data" / "people.csv"
    path.write_bytes(b'\xef\xbb\xbfid;name\r\n1;Ann\r\n2;"Bo; Jr"\r\n')
    connector = Folder("csv", tmp_path / "data").open(delimiter=";")
    assert connector.update("people", key="id", rows=[{"id": 1, "name": "Masked"}]) == 1
    assert path.read_bytes() == b'\xef\xbb\xbfid;name\r\n1;Masked\r\n2;"Bo; Jr"\r\n'


def test_a_malformed_jsonl_line_is_reported_with_its_number(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "people.jsonl").write_text('{"id": 1}\n{"id": 2,\n')
    connector = Folder("jsonl", tmp_path / "data").open()
    with pytest.raises(ConnectorError, match=r"line 2 of people\.jsonl is not valid JSON"):
        connector.count("people", where={"id": [1]})


def test_a_parquet_rewrite_keeps_the_schema(tmp_path: Path) -> None:
    made = Folder("parquet", tmp_path / "data")
    made.root.mkdir()
    write("parquet", made.file, people(3))
    made.open().update("people", key="id", rows=[{"id": 1, "email": None}])
    assert pq.read_schema(made.file).equals(SCHEMA)


def test_a_value_of_the_wrong_type_for_parquet_is_refused_and_not_quoted(tmp_path: Path) -> None:
    made = Folder("parquet", tmp_path / "data")
    made.root.mkdir()
    write("parquet", made.file, people(3))
    original = made.file.read_bytes()
    with pytest.raises(ConnectorError, match="could not rewrite") as caught:
        made.open().update(
            "people", key="email", rows=[{"email": "person1@example.org", "id": "secret-x"}]
        )
    assert "secret-x" not in "".join(traceback.format_exception(caught.value))
    assert made.file.read_bytes() == original
    assert sorted(os.listdir(made.root)) == ["people.parquet"]


def test_unknown_file_options_are_refused(tmp_path: Path) -> None:
    connection = Connection(type="csv", path="data", options={"separator": ";"})
    with pytest.raises(ConnectorError, match="`separator`"):
        open_connector("exports", connection, base_dir=tmp_path, environ={})
