"""Retention: rules evaluated against the datastores, sweeps, legal holds (DESIGN.md §2)."""
