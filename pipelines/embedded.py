"""The platforms' sandboxes, in process: one per platform and process, used only when chosen.

When a sandbox is chosen (``--sandbox``, ``<platform>.<url setting> = "sandbox"``,
the demo), every flow in the process (the export, then the reconciler in
``demo``) talks to the same in-process sandbox. Its state lives in memory only
and ends with the process: exports made to it can only be reconciled by that
process.
"""

from __future__ import annotations

import threading

from audiences.platform import EmbeddedSandbox, Platform, SandboxKnobs
from pipelines.settings import SandboxSettings

_lock = threading.Lock()
_sandboxes: dict[str, EmbeddedSandbox] = {}


def embedded_sandbox(platform: Platform, settings: SandboxSettings) -> EmbeddedSandbox:
    """The process's sandbox of ``platform``, started on first use on a free loopback port."""
    with _lock:
        if platform.name not in _sandboxes:
            _sandboxes[platform.name] = platform.start_sandbox(
                SandboxKnobs(**settings.model_dump())
            )
        return _sandboxes[platform.name]
