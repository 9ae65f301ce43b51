"""Rich renderings of each domain's results, for the `lawful` command only (the web app and the
services never print)."""
