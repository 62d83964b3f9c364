"""Tests of sources and demo data."""
