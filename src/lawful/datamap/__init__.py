"""The data map: Lawful's single source of truth (models, loading, checks, taxonomy)."""
