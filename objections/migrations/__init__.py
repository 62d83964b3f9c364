"""Alembic revisions of the register, run programmatically by :func:`objections.store.migrate`."""

MIGRATION_NOTES = "audience-export.notes"
"""Alembic config attribute: a list where revisions leave sentences for the privacy officer."""
