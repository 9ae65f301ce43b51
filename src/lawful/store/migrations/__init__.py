"""Alembic migrations of the platform store."""
