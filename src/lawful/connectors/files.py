"""Files as tables: CSV, JSONL and Parquet.

`path` in the connection is a folder (the table is a file in it: `customers` finds
`customers` or `customers.csv`) or one file (every table is that file). Reads stream the
file. A change (update, delete) writes a whole new file beside the old one, flushes it to
disk and swaps it in with `os.replace`: readers see the old file or the new one, never a
half-written one, and a failure leaves the original untouched.

Types: CSV is text, so values compare as strings (`42` finds the cell "42") and are written
with `str()`, None as an empty cell. JSONL and Parquet keep their types; an integer cell
also matches its decimal string, as identity values from forms are text.

`transaction()` groups nothing: each update or delete is atomic on its own. One writer at a
time: two processes rewriting the same file concurrently would lose one's change.
"""

from __future__ import annotations

import csv
import json
import os
from bisect import bisect_right
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from itertools import islice
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from lawful.connectors.base import (
    Before,
    ConnectionSpec,
    ConnectorError,
    Key,
    ParentDate,
    Referrer,
    Row,
    count_rows,
    folded,
    is_before,
    json_default,
    key_columns,
    key_parts,
    order_key,
    parse_options,
)
from lawful.connectors.diskwrite import file_signature, replace_atomically
from lawful.connectors.match import Match, passes
from lawful.connectors.schema import LiveSchema

_KEEP = object()  # a rewrite leaves this row as it is
_BOM = b"\xef\xbb\xbf"
Change = Callable[[Row], Any]  # returns _KEEP, None (drop the row) or the new row


class FileOptions(BaseModel):
    """`connection.options` a file system accepts (`delimiter` is for CSV only)."""

    model_config = ConfigDict(extra="forbid")

    encoding: str = Field(default="utf-8", description="Text encoding of CSV and JSONL files")
    delimiter: str = Field(default=",", min_length=1, max_length=1)


class FileConnector:
    """What every file format shares; subclasses read, write and compare values."""

    suffix: ClassVar[str] = ""
    label: ClassVar[str] = ""

    def __init__(self, spec: ConnectionSpec) -> None:
        if spec.path is None:
            raise ConnectorError(
                f"a `{spec.type}` system needs `path` in its connection: a folder of "
                f"{self.label} files or one file",
                system=spec.system,
            )
        self.spec = spec
        self.root = spec.path
        self.options = parse_options(FileOptions, spec)
        self._columns_cache: dict[Path, tuple[object, list[str]]] = {}
        self._scan_cache: tuple[object, list[tuple[tuple[int, Any], ...]], list[Row]] | None = None

    # -- the Connector protocol ------------------------------------------------------------

    def test_connection(self) -> None:
        """Check the folder or file exists and can be read."""
        if not self.root.exists():
            raise self._error(f"{self.root} does not exist (check `path` in the connection)")
        if not os.access(self.root, os.R_OK):
            raise self._error(f"{self.root} cannot be read by this user")

    def fetch(
        self,
        table: str,
        *,
        where: Mapping[str, Sequence[Any]],
        columns: Sequence[str],
        casefold: Collection[str] = (),
    ) -> list[Row]:
        """Rows where any field holds one of its values, with the requested columns (fields
        in `casefold` compared trimmed and lower-cased)."""
        path = self._file(table)
        names = _unique(columns)
        self._check_columns(path, table, [*where, *names])
        wanted = self._wanted(where)
        with self._reading(table, path):
            rows = self._read(path, _unique([*where, *names]))
            return [
                {n: row.get(n) for n in names}
                for row in rows
                if self._matches(row, wanted, casefold)
            ]

    def update(self, table: str, *, key: Key, rows: Sequence[Row]) -> int:
        """Rewrite the file with each row's columns set where its key columns match."""
        names = key_columns(key)
        if any(name not in row for row in rows for name in names):
            raise self._error(f"every row to update needs its key ({', '.join(names)})", table)
        path = self._file(table)
        self._check_columns(path, table, _unique([*names, *(n for row in rows for n in row)]))
        changes = {
            self._key(row, names): row
            for row in rows
            if all(row[name] is not None for name in names)
        }

        def change(row: Row) -> Any:
            new = changes.get(self._key(row, names))
            return _KEEP if new is None else {**row, **new, **{n: row[n] for n in names}}

        return self._rewrite(table, path, change) if changes else 0

    def delete(self, table: str, *, key: Key, keys: Sequence[Any]) -> int:
        """Rewrite the file without the rows whose key is in `keys`."""
        names = key_columns(key)
        path = self._file(table)
        self._check_columns(path, table, list(names))
        doomed = {
            self._key(dict(zip(names, key_parts(k, names), strict=True)), names)
            for k in keys
            if k is not None
        }

        def change(row: Row) -> Any:
            return None if self._key(row, names) in doomed else _KEEP

        return self._rewrite(table, path, change) if doomed else 0

    def count(
        self,
        table: str,
        *,
        where: Mapping[str, Sequence[Any]] | None = None,
        before: Before | None = None,
        match: Match | None = None,
    ) -> int:
        """Count all rows, or the rows `fetch` would return for `where`; with `before`, only
        those dated before the cutoff (dates in ISO 8601 text, or typed in JSONL/Parquet),
        with `match` only those it selects."""
        path = self._file(table)
        if where is None and before is None and not match:
            with self._reading(table, path):
                return self._count(path)
        names = [
            *(where or {}),
            *self._date_columns(table, before),
            *(match.fields if match else []),
        ]
        self._check_columns(path, table, names)
        wanted = self._wanted(where) if where is not None else None
        with self._reading(table, path):
            return sum(
                1
                for row in self._read(path, names)
                if (wanted is None or self._matches(row, wanted))
                and _dated(row, before)
                and passes(match, row)
            )

    def scan(
        self,
        table: str,
        *,
        key: Key,
        columns: Sequence[str],
        after: Any = None,
        limit: int = 1000,
        before: Before | None = None,
        match: Match | None = None,
    ) -> list[Row]:
        """Up to `limit` rows with `key > after` in key order (a tuple for a composite key,
        ordered column by column); with `before`, only the rows
        dated before the cutoff; with `match`, only the rows it selects.

        The first page reads the file once and keeps its key-ordered rows (the requested
        columns only, and only the dated ones with `before`) until the file changes, so
        paging through it costs one read, not one per page. `key` must be unique; rows
        without a key are never returned. CSV keys order as text.
        """
        if limit < 1:
            raise self._error("scan needs a limit of at least 1", table)
        path = self._file(table)
        keys = key_columns(key)
        names = _unique([*keys, *columns])
        filtered = [*self._date_columns(table, before), *(match.fields if match else [])]
        self._check_columns(path, table, [*names, *filtered])
        positions, rows = self._ordered(table, path, keys, names, before, match)
        start = tuple(order_key(self._sort_form(p)) for p in key_parts(after, keys))
        first = 0 if after is None else bisect_right(positions, start)
        return [dict(row) for row in rows[first : first + limit]]

    def count_by(
        self, table: str, *, columns: Sequence[str], values: Sequence[Any]
    ) -> dict[Any, int]:
        """Rows per value of `columns`, read by the first column and counted here."""
        firsts = list(dict.fromkeys(key_parts(v, columns)[0] for v in values))
        rows = self.fetch(table, where={columns[0]: firsts}, columns=list(columns))
        return count_rows(rows, columns, values)

    def referrers(self, table: str) -> list[Referrer]:
        """None: this store has no foreign keys."""
        return []

    def columns(self, table: str) -> list[str]:
        """The file's columns (an empty JSONL file has none it can tell)."""
        path = self._file(table)
        with self._reading(table, path):
            return self._columns(path)

    def transaction(self) -> AbstractContextManager[None]:
        """A no-op: files have no transactions, and every change is atomic on its own."""
        return nullcontext()

    def schema(self, *, schemas: Sequence[str] = ()) -> LiveSchema | None:
        """Files carry no keys, constraints or collations: None (cannot tell)."""
        return None

    def close(self) -> None:
        """Nothing stays open between calls."""

    # -- what each format provides ---------------------------------------------------------

    def _read(self, path: Path, names: Sequence[str]) -> Iterator[Row]:
        """Stream the rows (`names` are the columns needed; a format may read only those)."""
        raise NotImplementedError

    def _columns(self, path: Path) -> list[str]:
        raise NotImplementedError

    def _write(self, target: Path, source: Path, rows: Iterable[Row]) -> None:
        """Write `rows` into `target` in the format (and layout) of `source`."""
        raise NotImplementedError

    def _norm(self, value: Any) -> Any:
        """The form a value is compared in."""
        return str(value) if type(value) is int else value

    def _sort_form(self, value: Any) -> Any:
        """The form a key is ordered in (its own type, except in CSV)."""
        return value

    def _count(self, path: Path) -> int:
        return sum(1 for _ in self._read(path, []))

    # -- shared machinery ------------------------------------------------------------------

    def _file(self, table: str) -> Path:
        if self.root.is_file():
            return self.root
        if not self.root.is_dir():
            raise self._error(f"{self.root} does not exist (check `path` in the connection)", table)
        if not table or Path(table).name != table or table in {".", ".."} or "\\" in table:
            raise self._error(f"`{table}` is not a plain file name inside {self.root}", table)
        for candidate in (self.root / table, self.root / f"{table}{self.suffix}"):
            if candidate.is_file():
                return candidate
        raise self._error(
            f"no file `{table}` or `{table}{self.suffix}` in {self.root} (the live store)", table
        )

    def _date_columns(self, table: str, before: Before | None) -> list[str]:
        """The column a `before` filter reads; a date held by another table's row cannot be
        read from a file (only SQL stores join two tables)."""
        if before is None:
            return []
        if isinstance(before[0], ParentDate):
            raise self._error(
                f"a file cannot be filtered by the date of a row of `{before[0].table}`: "
                "retention rules counting from a parent row's date (`events: {name: "
                "dataset.field}`) work on SQL datastores only; add a date column to this file "
                "and count from it",
                table,
            )
        return [before[0]]

    def _ordered(
        self,
        table: str,
        path: Path,
        key: tuple[str, ...],
        names: list[str],
        before: Before | None,
        match: Match | None = None,
    ) -> tuple[list[tuple[tuple[int, Any], ...]], list[Row]]:
        """The file's rows with a key (and dated before the cutoff, if one is given), in key
        order, and their positions (cached per file)."""
        with self._reading(table, path):
            wanted = (path, file_signature(path), key, tuple(names), before, match)
        if self._scan_cache is None or self._scan_cache[0] != wanted:
            filtered = [*self._date_columns(table, before), *(match.fields if match else [])]
            read = _unique([*names, *filtered])
            with self._reading(table, path):
                rows = [
                    {n: row.get(n) for n in names}
                    for row in self._read(path, read)
                    if all(row.get(k) is not None for k in key)
                    and _dated(row, before)
                    and passes(match, row)
                ]

            def position(row: Row) -> tuple[tuple[int, Any], ...]:
                return tuple(order_key(self._sort_form(row[k])) for k in key)

            rows.sort(key=position)
            positions = [position(row) for row in rows]
            self._scan_cache = (wanted, positions, rows)
        return self._scan_cache[1], self._scan_cache[2]

    def _key(self, row: Row, names: Sequence[str]) -> Any:
        """A row's key as compared in this format (normalised, hashable)."""
        return tuple(_hashable(self._norm(row.get(name))) for name in names)

    def _check_columns(self, path: Path, table: str, names: Sequence[str]) -> None:
        with self._reading(table, path):
            signature = file_signature(path)
            cached = self._columns_cache.get(path)
            if cached is None or cached[0] != signature:
                cached = self._columns_cache[path] = (signature, self._columns(path))
        have = cached[1]
        missing = [name for name in names if name not in have]
        if have and missing:
            raise self._error(
                f"column `{missing[0]}` does not exist in {path.name} (it has: {', '.join(have)})",
                table,
            )

    def _wanted(self, where: Mapping[str, Sequence[Any]]) -> dict[str, set[Any]]:
        return {
            name: {_hashable(self._norm(v)) for v in values if v is not None}
            for name, values in where.items()
        }

    def _matches(
        self, row: Row, wanted: Mapping[str, set[Any]], casefold: Collection[str] = ()
    ) -> bool:
        return any(
            _hashable(self._norm(folded(row.get(name)) if name in casefold else row.get(name)))
            in values
            for name, values in wanted.items()
        )

    def _rewrite(self, table: str, path: Path, change: Change) -> int:
        """Apply `change` to every row into a new file, swapped in only if something changed."""
        changed = 0

        def new_rows() -> Iterator[Row]:
            nonlocal changed
            for row in self._read(path, []):
                result = change(row)
                if result is _KEEP:
                    yield row
                    continue
                changed += 1
                if result is not None:
                    yield result

        try:
            replace_atomically(
                path, lambda tmp: self._write(tmp, path, new_rows()), lambda: changed > 0
            )
        except ConnectorError:
            raise
        except Exception as err:
            # Details may quote a value being written (personal data): name the failure only,
            # and keep the chain (which a log would print) only for system errors.
            reason = err.strerror if isinstance(err, OSError) else None
            system_error = bool(reason)
            detail = str(reason) if system_error else type(err).__name__
            raise self._error(
                f"could not rewrite {path.name} ({detail}); the file is unchanged", table
            ) from (err if system_error else None)
        return changed

    @contextmanager
    def _reading(self, table: str, path: Path) -> Iterator[None]:
        try:
            yield
        except ConnectorError:
            raise
        except (OSError, ValueError, csv.Error) as err:
            # pyarrow's ArrowInvalid is a ValueError; decoding errors too.
            reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
            first = (reason.strip().splitlines() or [type(err).__name__])[0]
            raise self._error(f"could not read {path.name}: {first}", table) from err

    def _error(self, message: str, table: str = "") -> ConnectorError:
        return ConnectorError(message, system=self.spec.system, dataset=table)


class CSVConnector(FileConnector):
    """CSV files with a header line; every value is text."""

    suffix = ".csv"
    label = "CSV"

    def _read(self, path: Path, names: Sequence[str]) -> Iterator[Row]:
        with path.open(encoding=self._encoding(path), newline="") as source:
            reader = csv.reader(source, delimiter=self.options.delimiter)
            header = self._header(next(reader, []), path)
            for cells in reader:
                if not cells:
                    continue
                if len(cells) > len(header):
                    raise self._error(
                        f"line {reader.line_num} of {path.name} has more cells than its header"
                    )
                yield dict(zip(header, cells + [""] * (len(header) - len(cells)), strict=True))

    def _columns(self, path: Path) -> list[str]:
        with path.open(encoding=self._encoding(path), newline="") as source:
            return self._header(
                next(csv.reader(source, delimiter=self.options.delimiter), []), path
            )

    def _write(self, target: Path, source: Path, rows: Iterable[Row]) -> None:
        header = self._columns(source)
        with target.open("w", encoding=self._encoding(source), newline="") as out:
            writer = csv.writer(
                out, delimiter=self.options.delimiter, lineterminator=_line_ending(source)
            )
            writer.writerow(header)
            for row in rows:
                writer.writerow(_csv_cells(row, header))

    def _norm(self, value: Any) -> Any:
        return None if value is None else str(value)

    def _sort_form(self, value: Any) -> Any:
        return self._norm(value)

    def _encoding(self, path: Path) -> str:
        """Keep a UTF-8 byte-order mark if the file has one (Excel writes it)."""
        if self.options.encoding.lower().replace("_", "-") not in {"utf-8", "utf8"}:
            return self.options.encoding
        with path.open("rb") as raw:
            return "utf-8-sig" if raw.read(3) == _BOM else "utf-8"

    def _header(self, header: list[str], path: Path) -> list[str]:
        repeated = sorted({name for name in header if header.count(name) > 1})
        if repeated:
            raise self._error(f"the header of {path.name} repeats column `{repeated[0]}`")
        return header


class JSONLConnector(FileConnector):
    """JSON Lines: one JSON object per line; columns are the keys seen in any line."""

    suffix = ".jsonl"
    label = "JSONL"

    def _read(self, path: Path, names: Sequence[str]) -> Iterator[Row]:
        with path.open(encoding=self.options.encoding) as source:
            for number, line in enumerate(source, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as err:
                    raise self._error(
                        f"line {number} of {path.name} is not valid JSON ({err.msg})"
                    ) from None
                if not isinstance(row, dict):
                    raise self._error(f"line {number} of {path.name} is not a JSON object")
                yield row

    def _columns(self, path: Path) -> list[str]:
        seen: dict[str, None] = {}
        for row in self._read(path, []):
            seen.update(dict.fromkeys(row))
        return list(seen)

    def _write(self, target: Path, source: Path, rows: Iterable[Row]) -> None:
        with target.open("w", encoding=self.options.encoding, newline="\n") as out:
            for row in rows:
                out.write(_json_line(row))


class ParquetConnector(FileConnector):
    """Parquet files (pyarrow); a rewrite keeps the schema and compression."""

    suffix = ".parquet"
    label = "Parquet"
    ROWS_PER_BATCH: ClassVar[int] = 10_000

    def _read(self, path: Path, names: Sequence[str]) -> Iterator[Row]:
        import pyarrow.parquet as pq  # imported on use: pyarrow is slow to load

        with pq.ParquetFile(path) as parquet:
            projection = list(names) or None
            for batch in parquet.iter_batches(self.ROWS_PER_BATCH, columns=projection):
                yield from batch.to_pylist()

    def _columns(self, path: Path) -> list[str]:
        import pyarrow.parquet as pq

        return list(pq.read_schema(path).names)

    def _count(self, path: Path) -> int:
        import pyarrow.parquet as pq

        with pq.ParquetFile(path) as parquet:
            return int(parquet.metadata.num_rows)

    def _write(self, target: Path, source: Path, rows: Iterable[Row]) -> None:
        import pyarrow.parquet as pq

        with pq.ParquetFile(source) as parquet:
            schema = parquet.schema_arrow
            metadata = parquet.metadata
            compression = (
                str(metadata.row_group(0).column(0).compression).lower()
                if metadata.num_row_groups and metadata.num_columns
                else "snappy"
            )
        codec = "none" if compression == "uncompressed" else compression
        with pq.ParquetWriter(target, schema, compression=codec) as writer:
            for chunk in _chunks(rows, self.ROWS_PER_BATCH):
                writer.write_batch(_arrow_batch(chunk, schema))


def _csv_cells(row: Row, header: Sequence[str]) -> list[str]:
    return ["" if row.get(name) is None else str(row[name]) for name in header]


def _json_line(row: Row) -> str:
    return json.dumps(row, ensure_ascii=False, default=json_default) + "\n"


def _arrow_batch(rows: list[Row], schema: Any) -> Any:
    import pyarrow as pa

    return pa.RecordBatch.from_pylist(rows, schema=schema)


def _line_ending(path: Path) -> str:
    with path.open("rb") as raw:
        return "\r\n" if b"\r\n" in raw.read(65536) else "\n"


def _chunks(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _dated(row: Row, before: Before | None) -> bool:
    """Whether the row passes a `before` filter (always, without one)."""
    if before is None:
        return True
    name, cutoff = before
    return isinstance(name, str) and is_before(row.get(name), cutoff)


def _hashable(value: Any) -> Any:
    """Lists and objects (JSON) cannot be looked up in a set; they match no identity value."""
    try:
        hash(value)
    except TypeError:
        return object()
    return value


def _unique(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(names))
