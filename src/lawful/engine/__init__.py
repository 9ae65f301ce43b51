"""The rights execution engine: plan a traversal of the dataset graph from a person's identity,
then read (access, portability), mask or delete (erasure), correct (rectification) or mark
(restriction) every record about them, durably, through the connectors (DESIGN §3.5)."""
