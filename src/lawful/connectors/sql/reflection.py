"""Reflecting live tables with SQLAlchemy, quietly where its warnings mean nothing to us."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import exc as sa_exc


@contextmanager
def expression_indexes_skipped() -> Iterator[None]:
    """Reflect SQLite tables quietly past their expression indexes (`lower(trim(email))`,
    which case-blind matching needs): SQLAlchemy skips them with a warning, and Core never
    needs them (the live schema reads them through PRAGMAs, connectors/schema.py)."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", "Skipped unsupported reflection of expression-based index", sa_exc.SAWarning
        )
        yield
