"""The audit trail's faces: its JSON API (`api`), its console page (`pages`) and the
queries they share (`repository`). The trail itself (hash chain, checkpoints) is `lawful.store.audit`."""
