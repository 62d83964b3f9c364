"""Alembic migrations of the ledger; run by :func:`audiences.ledger.migrate.upgrade`."""
