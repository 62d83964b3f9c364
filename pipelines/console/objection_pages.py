"""Objection pages: the queue, one objection and its history, add, import, decisions,
the mailed verification link, and revealing an address (officer only, with a reason)."""

from __future__ import annotations

import io
from datetime import timedelta

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from objections.canonical import InvalidAddress
from objections.errors import RegisterError
from objections.journal import Deed, read, write
from objections.mailbox import issue_link_token, redeem_link_token
from objections.model import Channel, Scope, Status, VerificationMethod
from objections.officers import Session
from objections.transfer import read_import
from pipelines.console.mail import MailError, mail_link
from pipelines.console.web import Desk, form_text, guarded, problem, render

_OFFICER_METHODS = {
    method.value: method
    for method in VerificationMethod
    if method is not VerificationMethod.MAILBOX_CONTROL
}
"""Methods an officer may record; mailbox control only the mailed link proves."""


async def queue(request: Request, desk: Desk, session: Session) -> Response:
    status = request.query_params.get("status", "")
    channel = request.query_params.get("channel", "")
    statuses = {item.value: item for item in Status}
    items = desk.register.objections(status=statuses.get(status))
    if channel in {item.value for item in Channel}:
        items = [item for item in items if item.channel.value == channel]
    return render(
        request,
        "queue.html",
        session,
        items=list(reversed(items)),
        statuses=list(Status),
        channels=list(Channel),
        chosen_status=status,
        chosen_channel=channel,
    )


async def new(request: Request, desk: Desk, session: Session) -> Response:
    return render(request, "new.html", session, channels=list(Channel))


async def add(request: Request, desk: Desk, session: Session) -> Response:
    try:
        channel = Channel(await form_text(request, "channel"))
        added = desk.register.add(
            await form_text(request, "address"),
            channel=channel,
            by=session.officer,
            evidence=await form_text(request, "evidence") or None,
            note=await form_text(request, "note") or None,
            scope=Scope.chosen(await form_text(request, "scope") or "all", _platforms(desk)),
        )
    except InvalidAddress as error:
        return problem(request, session, f"not a usable e-mail address: {error.reason}")
    except (RegisterError, ValueError):
        return problem(request, session, "choose a channel and a valid scope")
    write(
        desk.register.engine,
        session.officer,
        Deed.OBJECTION_ADDED,
        objection_id=added.objection_id,
        detail="repeat request recorded" if added.duplicate else "recorded; suppressed from now",
    )
    return RedirectResponse(f"/objections/{added.objection_id}", status_code=303)


async def import_csv(request: Request, desk: Desk, session: Session) -> Response:
    upload = (await request.form()).get("file")
    if not isinstance(upload, UploadFile):
        return problem(request, session, "choose a CSV file")
    try:
        parsed = read_import(io.BytesIO(await upload.read()), _platforms(desk))
    except RegisterError as error:
        return problem(request, session, f"the file was not imported: {error}")
    results = desk.register.add_many(parsed.entries, by=session.officer)
    repeats = sum(result.duplicate for result in results)
    write(
        desk.register.engine,
        session.officer,
        Deed.OBJECTIONS_IMPORTED,
        detail=f"recorded {len(results) - repeats}, repeat requests {repeats}, "
        f"refused lines {len(parsed.errors)}",
    )
    return render(
        request,
        "imported.html",
        session,
        recorded=len(results) - repeats,
        repeats=repeats,
        errors=parsed.errors,
    )


async def detail(request: Request, desk: Desk, session: Session) -> Response:
    objection_id = int(request.path_params["objection_id"])
    try:
        return _detail_page(request, desk, session, objection_id, reveal=False)
    except RegisterError as error:
        return problem(request, session, str(error), 404)


def _detail_page(
    request: Request, desk: Desk, session: Session, objection_id: int, *, reveal: bool
) -> Response:
    item = desk.register.get(objection_id, with_address=reveal)
    return render(
        request,
        "objection.html",
        session,
        item=item,
        history=desk.register.history(objection_id),
        journal=read(desk.register.engine, objection_id=objection_id),
        pending=desk.register.pending_withdrawal(objection_id),
        methods=list(_OFFICER_METHODS.values()),
        four_eyes=desk.console.four_eyes,
        revealed=item.address,
    )


async def decide(request: Request, desk: Desk, session: Session) -> Response:
    objection_id = int(request.path_params["objection_id"])
    step = request.path_params["step"]
    note = await form_text(request, "note") or None
    try:
        if step == "verify":
            chosen = _OFFICER_METHODS.get(await form_text(request, "method"))
            desk.register.verify(objection_id, by=session.officer, method=chosen, note=note)
        elif step == "reject":
            desk.register.reject(objection_id, by=session.officer, note=note)
        elif step == "withdraw":
            desk.register.withdraw(
                objection_id, by=session.officer, note=note, four_eyes=desk.console.four_eyes
            )
        else:
            return problem(request, session, "unknown decision", 404)
    except RegisterError as error:
        return problem(request, session, str(error), 409)
    write(
        desk.register.engine,
        session.officer,
        Deed.DECIDED,
        objection_id=objection_id,
        detail=step,
        reason=note,
    )
    return RedirectResponse(f"/objections/{objection_id}", status_code=303)


async def send_link(request: Request, desk: Desk, session: Session) -> Response:
    objection_id = int(request.path_params["objection_id"])
    hours = desk.console.link_hours
    try:
        token = issue_link_token(
            desk.register, objection_id, by=session.officer, lifetime=timedelta(hours=hours)
        )
        address = desk.register.get(objection_id, with_address=True).address or ""
        mail_link(
            desk.smtp, to=address, link=f"{_public_url(request, desk)}/verify/{token}", hours=hours
        )
    except (RegisterError, MailError) as error:
        return problem(request, session, str(error), 409)
    write(
        desk.register.engine,
        session.officer,
        Deed.VERIFICATION_MAILED,
        objection_id=objection_id,
        detail=f"one-time link valid {hours} h",
    )
    return RedirectResponse(f"/objections/{objection_id}", status_code=303)


async def reveal(request: Request, desk: Desk, session: Session) -> Response:
    objection_id = int(request.path_params["objection_id"])
    reason = await form_text(request, "reason")
    if not reason:
        return problem(request, session, "say why the address is revealed: it is journaled")
    try:
        desk.register.get(objection_id)
    except RegisterError as error:
        return problem(request, session, str(error), 404)
    write(
        desk.register.engine,
        session.officer,
        Deed.ADDRESS_REVEALED,
        objection_id=objection_id,
        reason=reason,
    )
    response = _detail_page(request, desk, session, objection_id, reveal=True)
    response.headers["Cache-Control"] = "no-store"
    return response


async def mailbox_link(request: Request) -> Response:
    """The one public route: the person confirms the mailbox (GET shows, POST confirms)."""
    desk = Desk.of(request)
    if request.method == "GET":
        return render(request, "confirm.html", None, token=request.path_params["token"])
    item = redeem_link_token(desk.register, request.path_params["token"])
    if item is None:
        return render(
            request,
            "message.html",
            None,
            404,
            title="Link not valid",
            message="This link has expired or was used already.",
        )
    write(
        desk.register.engine,
        "the person (mailbox link)",
        Deed.MAILBOX_VERIFIED,
        objection_id=item.id,
    )
    return render(
        request,
        "message.html",
        None,
        title="Thank you",
        message="Your mailbox is confirmed. Your objection is recorded and applies.",
    )


def _platforms(desk: Desk) -> frozenset[str]:
    return desk.register.platforms


def _public_url(request: Request, desk: Desk) -> str:
    return (desk.console.public_url or str(request.base_url)).rstrip("/")


ROUTES = [
    Route("/objections", guarded(queue, acts=True)),
    Route("/objections/new", guarded(new, acts=True)),
    Route("/objections", guarded(add, acts=True), methods=["POST"]),
    Route("/objections/import", guarded(import_csv, acts=True), methods=["POST"]),
    Route("/objections/{objection_id:int}", guarded(detail, acts=True)),
    Route(
        "/objections/{objection_id:int}/reveal",
        guarded(reveal, acts=True, reveals=True),
        methods=["POST"],
    ),
    Route(
        "/objections/{objection_id:int}/mail-link", guarded(send_link, acts=True), methods=["POST"]
    ),
    Route(
        "/objections/{objection_id:int}/{step:str}", guarded(decide, acts=True), methods=["POST"]
    ),
    Route("/verify/{token:str}", mailbox_link, methods=["GET", "POST"]),
]
