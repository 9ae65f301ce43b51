"""SQL databases through SQLAlchemy Core: SQLite, PostgreSQL (psycopg 3), MySQL/MariaDB (PyMySQL).

Tables are reflected from the live database on first use, so a table or column named by
the map but missing from the database is an error before anything runs. Identifiers are
only ever looked up in that reflection; values always travel as bound parameters.

Outside `transaction()` every call commits on its own; inside it, calls share one
connection and commit or roll back together. A connector is for one thread at a time.
"""

from lawful.connectors.sql.base import SQLConnector as SQLConnector
from lawful.connectors.sql.dialects import MySQLConnector as MySQLConnector
from lawful.connectors.sql.dialects import PostgreSQLConnector as PostgreSQLConnector
from lawful.connectors.sql.dialects import SQLiteConnector as SQLiteConnector
from lawful.connectors.sql.options import SQLOptions as SQLOptions
from lawful.connectors.sql.reflection import (
    expression_indexes_skipped as expression_indexes_skipped,
)
