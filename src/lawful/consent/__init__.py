"""Consent: the ledger, preferences per channel, notice versions, unsubscribe links, the cookie
banner with Global Privacy Control, and receipts (DESIGN.md §6)."""
