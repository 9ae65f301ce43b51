"""CSV files the console hands out (the queue, the audit trail): every cell that a
spreadsheet would run as a formula is written as text (OWASP "CSV injection")."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from fastapi.responses import Response

# = + - @ start a formula; a tab or carriage return in front hides one from a quick look.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_START) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()


def download(body: str, *, file_name: str, media_type: str = "text/csv") -> Response:
    """A file to save, never shown inline nor cached."""
    headers = {
        "Content-Disposition": f'attachment; filename="{file_name}"',
        "Cache-Control": "no-store",
    }
    return Response(body, media_type=f"{media_type}; charset=utf-8", headers=headers)
