"""Fixtures shared by every test folder live in ``tests/fixtures``."""

pytest_plugins = [
    "tests.fixtures.postgres",
]
