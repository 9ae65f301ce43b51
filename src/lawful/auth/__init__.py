"""Staff accounts, their sign-in sessions and API tokens (DESIGN.md §5)."""
