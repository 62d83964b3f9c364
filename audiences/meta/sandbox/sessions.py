"""Upload sessions as Meta keeps them: per ad account, ended when left open too long.

A ``session_id`` belongs to the first audience that used it in its ad account;
another audience reusing it is refused. A session that has not received its
``last_batch_flag`` ends ``timeout`` seconds after its first batch, and every
later batch is refused. Callers hold the platform lock (``SandboxState``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from audiences.meta.sandbox.graph import GraphError, invalid_parameter


@dataclass(frozen=True)
class Batch:
    """Where one ``/users`` request sits in its session."""

    session_id: int
    batch_seq: int
    last_batch: bool


@dataclass
class _Session:
    audience_id: str
    started_at: float
    batch_seqs: list[int] = field(default_factory=list)
    finished: bool = False
    """The session received its ``last_batch_flag``."""

    def ended(self, now: float, timeout: float | None) -> bool:
        return not self.finished and timeout is not None and now >= self.started_at + timeout


def session_ended() -> GraphError:
    """Code 100 without subcode; the message is what tells it apart (unverified)."""
    return GraphError(
        "(#100) The upload session has ended: a session that does not receive its "
        "last_batch_flag in time is closed; start a new session",
        100,
        type="GraphMethodException",
    )


class UploadSessions:
    """Every session of every ad account, by ``(ad account, session_id)``."""

    def __init__(self) -> None:
        self._sessions: dict[tuple[str, int], _Session] = {}

    def check(
        self, account_id: str, audience_id: str, batch: Batch, now: float, timeout: float | None
    ) -> None:
        """Refuse a batch its session cannot take (code 100)."""
        session = self._sessions.get((account_id, batch.session_id))
        if session is None:
            if batch.batch_seq != 1:
                raise invalid_parameter("a session's first batch must have batch_seq 1")
            return
        if session.audience_id != audience_id:
            raise invalid_parameter(
                "this upload session id already used by another audience of the ad account"
            )
        if session.finished:
            raise invalid_parameter(
                "this upload session already received its last batch (last_batch_flag)"
            )
        if session.ended(now, timeout):
            raise session_ended()

    def record(self, account_id: str, audience_id: str, batch: Batch, now: float) -> None:
        """Count a batch that :meth:`check` let through and the platform processed."""
        session = self._sessions.setdefault(
            (account_id, batch.session_id), _Session(audience_id, started_at=now)
        )
        session.batch_seqs.append(batch.batch_seq)
        session.finished = batch.last_batch

    def of_audience(
        self, audience_id: str, now: float, timeout: float | None
    ) -> list[dict[str, Any]]:
        """The sessions an audience used, oldest first (for tests: ids, batches, flags)."""
        return [
            {
                "session_id": session_id,
                "batch_seqs": list(session.batch_seqs),
                "last_batch_flag": session.finished,
                "ended": session.ended(now, timeout),
                "started_at": session.started_at,
            }
            for (_, session_id), session in self._sessions.items()
            if session.audience_id == audience_id
        ]
