"""What the test folders share: one fixture or helper of each kind (throwaway databases,
the migrated platform store, the example company, mail and app servers, the keyring, and
the worker tests' harness). Fixtures are registered by tests/conftest.py; helpers are
imported from here (`from ..support.servers import serve`)."""
