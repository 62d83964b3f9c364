"""Tests of the audiences package."""
