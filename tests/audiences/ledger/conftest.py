"""A ledger on each database it supports: a SQLite file and a fresh PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from audiences.ledger import Ledger


@pytest.fixture
def ledger_url(database_url: str) -> str:
    """URL of an empty ledger database, SQLite or PostgreSQL."""
    return database_url


@pytest.fixture
def ledger(ledger_url: str) -> Iterator[Ledger]:
    with Ledger.open(ledger_url) as opened:
        yield opened
