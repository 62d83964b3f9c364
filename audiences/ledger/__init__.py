"""The audience ledger: write-ahead record of every audience object created on a platform."""
