"""Ledger pages: exports with filters, one export's timeline, "was this address sent?",
and the audit report for a date range (HTML for print, and CSV)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from audiences.ledger import ExportRecord, UnknownExport
from objections.canonical import InvalidAddress
from objections.journal import Deed, Entry, last, read, write
from objections.officers import Session
from pipelines.console.sent import lookup_sent
from pipelines.console.web import Desk, form_text, guarded, problem, render

_REPORTED = frozenset({Deed.ADDRESS_REVEALED, Deed.REGISTER_EXPORTED, Deed.DECIDED})


async def exports(request: Request, desk: Desk, session: Session) -> Response:
    state = request.query_params.get("state", "")
    environment = request.query_params.get("environment", "")
    records = [
        record
        for record in desk.ledger.exports(limit=500)
        if (not state or record.state.value == state)
        and (not environment or (record.endpoint and record.endpoint.environment == environment))
    ]
    figures = desk.register.stats()
    rotated = last(desk.register.engine, Deed.KEYS_ROTATED)
    return render(
        request,
        "exports.html",
        session,
        records=records,
        state=state,
        environment=environment,
        figures=figures,
        rotated=rotated,
    )


async def export(request: Request, desk: Desk, session: Session) -> Response:
    export_id = request.path_params["export_id"]
    try:
        record = desk.ledger.get(export_id)
    except UnknownExport:
        return render(request, "message.html", session, 404, title="No such export", message="")
    return render(
        request,
        "export.html",
        session,
        record=record,
        events=desk.ledger.history(export_id),
        notes=desk.ledger.notes(export_id),
    )


async def lookup_form(request: Request, desk: Desk, session: Session) -> Response:
    return render(request, "lookup.html", session, answer=None, asked=False)


async def lookup(request: Request, desk: Desk, session: Session) -> Response:
    reason = await form_text(request, "reason")
    if not reason:
        return problem(request, session, "say why you look this address up: it is journaled")
    try:
        answer = lookup_sent(
            desk.register,
            desk.ledger,
            await form_text(request, "address"),
            retention_days=desk.console.sent_index_days,
        )
    except InvalidAddress as error:
        return problem(request, session, f"not a usable e-mail address: {error.reason}")
    write(
        desk.register.engine,
        session.officer,
        Deed.LOOKUP,
        reason=reason,
        detail=f"found in {len(answer.exports)} exports",
    )
    response = render(request, "lookup.html", session, answer=answer, asked=True)
    response.headers["Cache-Control"] = "no-store"
    return response


def _day(text: str, default: date) -> date:
    try:
        return date.fromisoformat(text) if text else default
    except ValueError:
        return default


async def report(request: Request, desk: Desk, session: Session) -> Response:
    today = datetime.now(UTC).date()
    first = _day(request.query_params.get("since", ""), today)
    final = _day(request.query_params.get("until", ""), today)
    since = datetime(first.year, first.month, first.day, tzinfo=UTC)
    until = datetime(final.year, final.month, final.day, tzinfo=UTC) + timedelta(days=1)
    records = [r for r in desk.ledger.exports() if since <= r.created_at < until]
    objections = [item for item in desk.register.objections() if since <= item.received_at < until]
    deeds = read(desk.register.engine, since=since, until=until, deeds=_REPORTED)
    write(
        desk.register.engine,
        session.officer,
        Deed.REPORT,
        detail=f"{first.isoformat()} to {final.isoformat()}",
    )
    if request.query_params.get("format") == "csv":
        return _csv(records, deeds, first, final)
    by_status: dict[str, int] = {}
    by_channel: dict[str, int] = {}
    for item in objections:
        by_status[item.status.value] = by_status.get(item.status.value, 0) + 1
        by_channel[item.channel.value] = by_channel.get(item.channel.value, 0) + 1
    return render(
        request,
        "report.html",
        session,
        records=records,
        deeds=deeds,
        by_status=by_status,
        by_channel=by_channel,
        since=first,
        until=final,
    )


def _csv(records: list[ExportRecord], deeds: list[Entry], first: date, final: date) -> Response:
    stream = io.StringIO()
    writer = csv.writer(stream)
    writer.writerow(["kind", "at", "id", "who_or_where", "state_or_action", "detail"])
    for record in records:
        writer.writerow(
            [
                "export",
                record.created_at.isoformat(),
                record.export_id,
                f"{record.destination} {record.ad_account}",
                record.state.value,
                f"uploaded={record.counts.get('uploaded', 0)} deletion_verified="
                f"{record.seed_deleted_at.isoformat() if record.seed_deleted_at else ''} "
                f"answer={record.deletion_answer or ''} "
                f"legal_basis={record.legal.describe() if record.legal else ''}",
            ]
        )
    for deed in deeds:
        writer.writerow(
            [
                "officer",
                deed.at.isoformat(),
                deed.objection_id or "",
                deed.actor,
                deed.deed.value,
                f"reason={deed.reason or ''} {deed.detail or ''}".strip(),
            ]
        )
    name = f"audit-{first.isoformat()}-{final.isoformat()}.csv"
    return Response(
        stream.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


ROUTES = [
    Route("/exports", guarded(exports)),
    Route("/exports/{export_id:str}", guarded(export)),
    Route("/lookup", guarded(lookup_form, acts=True)),
    Route("/lookup", guarded(lookup, acts=True), methods=["POST"]),
    Route("/report", guarded(report)),
]
