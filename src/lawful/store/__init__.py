"""The platform's own database: engine and sessions, ORM models, migrations, keyed crypto."""
