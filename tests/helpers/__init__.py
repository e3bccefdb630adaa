"""What several test modules share and that is not a fixture: reading pages by their hooks
(`html`), logged-in browsers (`web`), and the state of the pools and the ledger (`ledger`).
Fixtures live in the conftest.py nearest to the tests that use them."""
