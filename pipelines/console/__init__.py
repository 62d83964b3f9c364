"""The privacy officer's web console: objections, mailbox verification, lookups, ledger, audit."""
