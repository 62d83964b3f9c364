"""The console application: sign-in and sign-out, the pages, and the stores it opens once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from audiences.ledger import Ledger
from objections.officers import Accounts, Session, SignInRefused
from objections.register import Register
from pipelines.console import ledger_pages, objection_pages, register_export
from pipelines.console.web import (
    COOKIE,
    Desk,
    client_of,
    form_text,
    guarded,
    home_of,
    render,
    set_session_cookie,
)
from pipelines.settings import Settings


async def sign_in(request: Request) -> Response:
    desk = Desk.of(request)
    if request.method == "GET":
        return render(request, "login.html", None, problem=None)
    try:
        session = desk.accounts.sign_in(
            await form_text(request, "name"),
            _text((await request.form()).get("password")),
            client=client_of(request),
        )
    except SignInRefused as error:
        return render(request, "login.html", None, 401, problem=str(error))
    response = RedirectResponse(home_of(session.role), status_code=303)
    set_session_cookie(response, request, session.token or "", desk)
    return response


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


async def sign_out(request: Request, desk: Desk, session: Session) -> Response:
    desk.accounts.sign_out(request.cookies.get(COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


async def home(request: Request) -> Response:
    return RedirectResponse("/objections", status_code=303)


def build_app(settings: Settings) -> Starlette:
    """The console on the settings' register and ledger (opened at start-up, closed at exit)."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        register = Register.open(settings.register_config)
        ledger = Ledger.open(settings.ledger_url)
        idle = timedelta(minutes=settings.console.idle_minutes)
        app.state.desk = Desk(
            register, ledger, Accounts(register.engine, idle=idle), settings.console, settings.smtp
        )
        try:
            yield
        finally:
            ledger.close()
            register.close()

    routes = [
        Route("/", home),
        Route("/login", sign_in, methods=["GET", "POST"]),
        Route("/logout", guarded(sign_out), methods=["POST"]),
        *register_export.ROUTES,
        *objection_pages.ROUTES,
        *ledger_pages.ROUTES,
        Mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static"),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
