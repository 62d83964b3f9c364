"""Prefect flows: ``lookalike-export`` and ``reconcile-audiences``."""
