"""The Graph API sandbox as embedded default destination: one per process.

When no Meta destination is configured, every flow in the process (the export,
then the reconciler in ``demo``) talks to the same in-process sandbox. Its
state lives in memory only and ends with the process.
"""

from __future__ import annotations

import atexit
import threading

from audiences.sandbox.server import SandboxOptions, SandboxServer
from pipelines.settings import SandboxSettings

_lock = threading.Lock()
_server: SandboxServer | None = None


def embedded_sandbox(settings: SandboxSettings) -> SandboxServer:
    """The process's sandbox, started on first use on a free loopback port."""
    global _server  # noqa: PLW0603 - one sandbox per process, by design
    with _lock:
        if _server is None:
            server = SandboxServer(
                SandboxOptions(
                    port=0,
                    match_delay_seconds=settings.match_delay_seconds,
                    lookalike_delay_seconds=settings.lookalike_delay_seconds,
                )
            )
            server.start()
            atexit.register(server.stop)
            _server = server
        return _server
