"""A `Match` (connectors/match.py) as one SQL condition: values as bound parameters, text
compared as `lower(trim(column))` on every database (a MariaDB case-blind collation still
sees leading spaces, so it is not trusted here), empty text counted as empty, and every test
two-valued so a negation never meets NULL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from lawful.connectors.match import FieldTest, Match
from lawful.connectors.sql.values import bind_values

ColumnOf = Callable[[str], sa.Column[Any]]


def match_clause(match: Match, *, column: ColumnOf) -> sa.ColumnElement[bool]:
    """Rows passing every test of `match.every` and no group of `match.none`."""
    every = [_test(t, column) for t in match.every]
    none = [sa.not_(sa.and_(sa.true(), *(_test(t, column) for t in g))) for g in match.none]
    return sa.and_(sa.true(), *every, *none)


def _test(test: FieldTest, column: ColumnOf) -> sa.ColumnElement[bool]:
    col = column(test.field)
    text = isinstance(col.type, sa.String)
    empty = sa.or_(col.is_(None), sa.func.trim(col) == "") if text else col.is_(None)
    if text:
        compared: sa.ColumnElement[Any] = sa.func.lower(sa.func.trim(col))
        values = bind_values(col, [v for v in test.folded_values() if v is not None])
    else:
        compared = col
        values = bind_values(col, [v for v in test.values if v is not None])
    member = compared.in_(values) if values else sa.false()
    held = sa.not_(member) if test.negate else member
    if test.nulls:
        return sa.or_(empty, sa.and_(sa.not_(empty), held))
    return sa.and_(sa.not_(empty), held)
