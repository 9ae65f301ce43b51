"""The example contact-center company: its data map lives in `examples/contact-center/`,
and `lawful demo generate` fills its databases with deterministic fake data."""
