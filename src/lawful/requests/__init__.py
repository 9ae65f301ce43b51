"""Rights requests: intake, proof of identity, decisions, deadlines, execution through the
engine, delivery, forwarding to clients, and the records' end of life (DESIGN.md §3)."""
