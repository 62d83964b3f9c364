"""Prefect flows, sources, settings and the command line of audience-export."""
