"""Every row change in the example company's PostgreSQL databases, logged by triggers in the
transaction that made it (a write rolled back leaves no line)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from .company import ExampleCompany

CHANGE_LOG = """
CREATE TABLE IF NOT EXISTS public.worker_test_changes (
    n bigserial PRIMARY KEY, tbl text, row_key text, op text);
CREATE OR REPLACE FUNCTION public.worker_test_change() RETURNS trigger AS $$
DECLARE key text := '';
BEGIN
  FOR i IN 0 .. TG_NARGS - 1 LOOP
    key := key || '/' || coalesce(to_jsonb(OLD) ->> TG_ARGV[i], '');
  END LOOP;
  INSERT INTO public.worker_test_changes (tbl, row_key, op)
    VALUES (TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, key, TG_OP);
  RETURN NULL;
END $$ LANGUAGE plpgsql;
"""
PRIMARY_KEYS = """
SELECT tc.table_schema || '.' || tc.table_name, kcu.column_name
FROM information_schema.table_constraints tc
JOIN information_schema.key_column_usage kcu
  ON kcu.constraint_name = tc.constraint_name AND kcu.table_schema = tc.table_schema
WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = ANY(:schemas)
ORDER BY 1, kcu.ordinal_position
"""
Change = tuple[str, str, str]  # schema.table, primary key, UPDATE or DELETE


class ChangeLog:
    """A trigger on every table of the company logging each row updated or deleted (by its
    primary key), in the transaction that changed it: a write rolled back leaves no line."""

    def __init__(self, company: ExampleCompany) -> None:
        self.engine = next(iter(company.engines.values()))
        self.keys: dict[str, list[str]] = {}
        with self.engine.connect() as conn:
            rows = conn.execute(sa.text(PRIMARY_KEYS), {"schemas": list(company.engines)})
            for table, column in rows:
                self.keys.setdefault(table, []).append(column)

    @contextmanager
    def installed(self) -> Iterator[ChangeLog]:
        """Logging for the block; the triggers dropped after it (other tests refill these
        tables)."""
        with self.engine.begin() as conn:
            conn.exec_driver_sql(CHANGE_LOG)
            conn.exec_driver_sql("TRUNCATE public.worker_test_changes")
            for table, columns in self.keys.items():
                arguments = ", ".join(f"'{c}'" for c in columns)
                conn.exec_driver_sql(
                    f"CREATE TRIGGER worker_test_change AFTER UPDATE OR DELETE ON {table} "
                    f"FOR EACH ROW EXECUTE FUNCTION public.worker_test_change({arguments})"
                )
        try:
            yield self
        finally:
            with self.engine.begin() as conn:
                for table in self.keys:
                    conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS worker_test_change ON {table}")
                conn.exec_driver_sql("DROP TABLE IF EXISTS public.worker_test_changes")

    def changes(self) -> list[Change]:
        """Every row change committed, in the order they were made."""
        with self.engine.connect() as conn:
            query = "SELECT tbl, row_key, op FROM public.worker_test_changes ORDER BY n"
            return [(r[0], r[1], r[2]) for r in conn.exec_driver_sql(query)]
