"""``audience-export objections ...``: mounts the register commands (to be filled in)."""
