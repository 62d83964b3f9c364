"""Tests of the audience ledger."""
