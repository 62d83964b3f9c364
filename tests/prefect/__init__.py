"""Tests of the product as Prefect runs it: deployments, run states, names, notifications."""
