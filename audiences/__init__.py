"""Audiences on ad platforms: hashing, destinations, the Graph API sandbox, the ledger."""
