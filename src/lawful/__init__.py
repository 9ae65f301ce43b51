"""Lawful: self-hosted privacy operations, driven by a data map kept as code."""

__version__ = "0.1.0"
