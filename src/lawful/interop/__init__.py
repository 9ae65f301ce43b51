"""Standards that carry rights requests between systems (DESIGN.md §6)."""
