"""Job running: every deferred job is a durable task row in the platform store, run in this
process by default or by Celery workers (`lawful worker`) when `LAWFUL_BROKER_URL` is set.
The job logic is the same in both modes; only the hand-over differs."""
