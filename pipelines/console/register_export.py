"""Exporting the decrypted register from the console: officer only, with a reason, journaled.

The CSV is the command line's (``objections export``): the same rows, written by
the same function, and the same journal entry; only the channel named differs.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from objections.errors import RegisterError
from objections.officers import Session
from objections.transfer import export_decrypted
from pipelines.console.web import Desk, form_text, guarded, problem


async def export_register(request: Request, desk: Desk, session: Session) -> Response:
    """Every objection with its decrypted address, as a CSV download that is never cached."""
    reason = await form_text(request, "reason")
    stream = io.StringIO()
    try:
        export_decrypted(
            desk.register, stream, by=session.officer, reason=reason, channel="the console"
        )
    except RegisterError as refused:
        return problem(request, session, str(refused))
    name = f"objections-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.csv"
    return Response(
        stream.getvalue(),
        media_type="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


ROUTES = [
    Route(
        "/objections/export",
        guarded(export_register, acts=True, reveals=True),
        methods=["POST"],
    ),
]
