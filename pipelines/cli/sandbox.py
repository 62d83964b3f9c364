"""``audience-export sandbox``: serve the Graph API sandbox (filled in with the sandbox)."""
