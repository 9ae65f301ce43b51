"""Decisions that reach the systems: markers (restriction, objection, isolation,
erasure pending) per person and dataset, an API and exports for systems that poll, and signed
webhooks for those that are told (docs/markers.md)."""
