"""Alembic revisions of the register, run programmatically by :func:`objections.store.migrate`."""
