"""The Graph API sandbox, in process: one per process, used only when chosen.

When the sandbox is chosen (``--sandbox``, ``meta.graph_url = "sandbox"``, the
demo), every flow in the process (the export, then the reconciler in ``demo``)
talks to the same in-process sandbox. Its state lives in memory only and ends
with the process: exports made to it can only be reconciled by that process.
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
                    refuse_seed_delete_with_lookalikes=settings.refuse_seed_delete_with_lookalikes,
                    removal_floor=settings.removal_floor,
                    session_timeout_seconds=settings.session_timeout_seconds,
                )
            )
            server.start()
            atexit.register(server.stop)
            _server = server
        return _server
