"""Finding personal data in text: recognizers (classes, or a few lines of YAML), their registry
and the analyzer that runs them. A library below the engine: it imports nothing else of
Lawful, so the engine (free-text redaction) and discovery (column classification) share it."""
