"""What several test modules share and that is not a fixture: reading pages by their hooks
(`html`), logged-in browsers (`web`), the state of the pools and the ledger (`ledger`), and
a private PostgreSQL cluster for the tests marked `load` (`cluster`).
Fixtures live in the conftest.py nearest to the tests that use them."""
