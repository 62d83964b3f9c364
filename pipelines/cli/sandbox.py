"""``audience-export sandbox``: serve the default platform's sandbox (its own command)."""

from __future__ import annotations

from audiences.registry import PLATFORMS
from pipelines.cli.app import app

DEFAULT_PLATFORM = next(iter(PLATFORMS.values()))

app.command("sandbox", help=DEFAULT_PLATFORM.sandbox_command.__doc__)(
    DEFAULT_PLATFORM.sandbox_command
)
