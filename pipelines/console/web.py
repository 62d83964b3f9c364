"""What every console page shares: the open stores, sessions, CSRF, roles, rendering.

Every route is guarded: only the sign-in page, the mailbox link and the style
sheet answer without a session. Every POST carries the session's CSRF token
(a form field) or is refused with 403, as is a role that may not act.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from audiences.ledger import Ledger
from objections.journal import Deed, write
from objections.officers import Accounts, Role, Session
from objections.register import Register
from pipelines.console.settings import ConsoleSettings, SmtpSettings

COOKIE = "audience_export_session"
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

Handler = Callable[[Request, "Desk", Session], Awaitable[Response]]


@dataclass(frozen=True)
class Desk:
    """The stores and settings every page works with, opened once by the app."""

    register: Register
    ledger: Ledger
    accounts: Accounts
    console: ConsoleSettings
    smtp: SmtpSettings

    @classmethod
    def of(cls, request: Request) -> Desk:
        desk: Desk = request.app.state.desk
        return desk

    @property
    def idle(self) -> timedelta:
        return timedelta(minutes=self.console.idle_minutes)


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def render(
    request: Request, template: str, session: Session | None, status_code: int = 200, **values: Any
) -> HTMLResponse:
    """A page; the session gives the menu, the role and the CSRF token of its forms."""
    return TEMPLATES.TemplateResponse(
        request, template, {"session": session, **values}, status_code=status_code
    )


def problem(
    request: Request, session: Session | None, why: str, status_code: int = 400
) -> HTMLResponse:
    """A refusal page saying why, in the product's own words."""
    return render(request, "message.html", session, status_code, title="Refused", message=why)


def refused(request: Request, session: Session | None, why: str) -> HTMLResponse:
    """403, journaled when someone is signed in."""
    if session is not None:
        write(Desk.of(request).register.engine, session.officer, Deed.FORBIDDEN, detail=why)
    return render(request, "message.html", session, 403, title="Not allowed", message=why)


def guarded(
    handler: Handler, *, acts: bool = False, reveals: bool = False
) -> Callable[[Request], Awaitable[Response]]:
    """``handler`` for a signed-in officer whose role allows it; POSTs need the CSRF token."""

    async def endpoint(request: Request) -> Response:
        desk = Desk.of(request)
        token = request.cookies.get(COOKIE)
        session = desk.accounts.session(token) if token else None
        if session is None:
            return RedirectResponse("/login", status_code=303)
        if request.method == "POST":
            form = await request.form()
            given = form.get("csrf")
            if not isinstance(given, str) or not hmac.compare_digest(given, session.csrf_token):
                return refused(request, session, "the form's security token is missing or stale")
        if (acts and not session.role.acts) or (reveals and not session.role.reveals):
            return refused(request, session, f"a {session.role.value} may not do this")
        return await handler(request, desk, session)

    return endpoint


def set_session_cookie(response: Response, request: Request, token: str, desk: Desk) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(desk.idle.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=desk.console.secure_cookies or request.url.scheme == "https",
        path="/",
    )


async def form_text(request: Request, name: str) -> str:
    """A form field as text ('' when absent); the form is parsed once per request."""
    value = (await request.form()).get(name)
    return value.strip() if isinstance(value, str) else ""


def home_of(role: Role) -> str:
    return "/objections" if role.acts else "/exports"
