"""Liveness by lease: a running export renews its lease; a lapsed one stops it.

The reconciler takes an export as stopped as soon as its lease has expired,
and never touches one whose lease is live — however long the export waits on
a rate limit. The runner's heartbeat renews the lease from its own thread,
independent of upload progress; if a renewal fails (the lease lapsed, the
ledger is unreachable), the runner stops before its next platform call.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from audiences.destination import Destination
from audiences.ledger import Lease, Ledger
from pipelines.errors import ProductError

logger = logging.getLogger(__name__)


class LeaseLost(ProductError):
    """The export's lease lapsed: the reconciler may own it now, so this runner stops."""


@dataclass(frozen=True)
class LeaseTerms:
    """How long a lease lasts and how often its holder renews it."""

    duration: timedelta
    renew_every: timedelta

    def new_lease(self, now: datetime) -> Lease:
        """A lease for this process: a random owner id, this host and pid."""
        return Lease(
            owner=uuid.uuid4().hex,
            host=socket.gethostname(),
            pid=os.getpid(),
            expires_at=now + self.duration,
        )


@dataclass
class Heartbeat:
    """Renews one export's lease from a daemon thread until stopped."""

    ledger: Ledger
    export_id: str
    lease: Lease
    terms: LeaseTerms
    clock: Callable[[], datetime]
    _stopped: threading.Event = field(default_factory=threading.Event)
    _lost: str | None = None

    def check(self) -> None:
        """Raise :class:`LeaseLost` when a renewal failed: call before each platform call."""
        if self._lost is not None:
            raise LeaseLost(
                f"export {self.export_id} stopped: its lease could not be renewed "
                f"({self._lost}); the reconciler takes the export over"
            )

    def _run(self) -> None:
        while not self._stopped.wait(self.terms.renew_every.total_seconds()):
            try:
                renewed = self.ledger.renew_lease(
                    self.export_id, self.lease.owner, self.clock() + self.terms.duration
                )
            except Exception as error:  # any failure means the lease may lapse
                self._lost = f"the ledger could not be reached: {type(error).__name__}"
                return
            if not renewed:
                self._lost = "it had expired"
                return

    @contextmanager
    def running(self) -> Iterator[Heartbeat]:
        """Renew while the block runs; release the lease when it ends (unless lost)."""
        thread = threading.Thread(target=self._run, name=f"lease-{self.export_id}", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stopped.set()
            thread.join()
            if self._lost is None:
                self.ledger.release_lease(self.export_id, self.lease.owner)


class LeasedDestination:
    """A destination that checks the heartbeat before every call it forwards."""

    def __init__(self, inner: Destination, heartbeat: Heartbeat) -> None:
        self._inner = inner
        self._heartbeat = heartbeat

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._inner, name)
        if not callable(value):
            return value

        def guarded(*args: Any, **kwargs: Any) -> Any:
            self._heartbeat.check()
            return value(*args, **kwargs)

        return guarded

    def as_destination(self) -> Destination:
        """This proxy, typed as the destination it stands for."""
        return cast(Destination, self)
