"""The console served for real (uvicorn in a thread, on SQLite and on PostgreSQL), a local
SMTP server, one Chromium, and a record of every response the browser received.

Chromium is Debian's package (``/usr/bin/chromium``): Playwright's own browser
download is not reachable here. In CI (``CI=true``) a missing browser fails the
tests; elsewhere it is skipped with the command to install it.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from aiosmtpd.controller import Controller
from playwright.sync_api import Error, Response

from objections.officers import Accounts, Role
from objections.register import Register
from pipelines.console.app import build_app
from pipelines.settings import Settings, load_settings

PASSWORD = "correct horse battery staple"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Mailbox:
    """What the local SMTP server received."""

    messages: list[Any] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port  # type: ignore[attr-defined]
    yield box
    controller.stop()


@dataclass(frozen=True)
class Console:
    url: str
    settings: Settings


ACCOUNTS = (
    ("olga", Role.OFFICER),
    ("otto", Role.OFFICER),
    ("remi", Role.REVIEWER),
    ("vic", Role.VIEWER),
)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def console(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    mailbox: Mailbox,
) -> Iterator[Console]:
    """A register with four accounts and the console serving it; register and ledger in
    SQLite files, or both in one fresh PostgreSQL database."""
    port = free_port()
    chosen = {
        "HOME": str(tmp_path / "home"),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(mailbox.port),  # type: ignore[attr-defined]
        "SMTP_STARTTLS": "false",
        "CONSOLE_PORT": str(port),
    }
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
        chosen |= {"OBJECTIONS_URL": url, "LEDGER_URL": url}
    for name, value in chosen.items():
        monkeypatch.setenv(f"AUDIENCE_EXPORT_{name}", value)
    settings = load_settings(None)
    with Register.init(settings.register_config, create_keys=True) as register:
        accounts = Accounts(register.engine, idle=timedelta(minutes=15))
        for name, role in ACCOUNTS:
            accounts.add(name, role, PASSWORD, by="test")
    server = uvicorn.Server(
        uvicorn.Config(build_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield Console(f"http://127.0.0.1:{port}", settings)
    server.should_exit = True
    thread.join(timeout=10)


@dataclass
class Served:
    """Every response the browser received with a body: (method, URL, body).

    Redirects and downloads have no body here; a download is read from its file.
    """

    bodies: list[tuple[str, str, bytes]] = field(default_factory=list)

    def record(self, response: Response) -> None:
        try:
            body = response.body()
        except Error:
            return
        self.bodies.append((response.request.method, response.url, body))


@pytest.fixture
def served() -> Served:
    return Served()


@pytest.fixture
def new_page(browser: Any, served: Served) -> Callable[[], Any]:
    """A page in a fresh browser context (its own cookies) whose responses are recorded."""

    def opened() -> Any:
        context = browser.new_context()
        context.on("response", served.record)
        return context.new_page()

    return opened
