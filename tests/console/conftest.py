"""The console served for real (uvicorn in a thread), a local SMTP server, and one Chromium.

Chromium is Debian's package (``/usr/bin/chromium``): Playwright's own browser
download is not reachable here. In CI (``CI=true``) a missing browser fails the
tests; elsewhere it is skipped with the command to install it.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from aiosmtpd.controller import Controller
from playwright.sync_api import sync_playwright

from objections.officers import Accounts, Role
from objections.register import Register
from pipelines.console.app import build_app
from pipelines.settings import Settings, load_settings

CHROMIUM = Path("/usr/bin/chromium")
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


@pytest.fixture
def console(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mailbox: Mailbox) -> Iterator[Console]:
    """A register with three accounts and the console serving it."""
    port = free_port()
    for name, value in {
        "HOME": str(tmp_path / "home"),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(mailbox.port),  # type: ignore[attr-defined]
        "SMTP_STARTTLS": "false",
        "CONSOLE_PORT": str(port),
    }.items():
        monkeypatch.setenv(f"AUDIENCE_EXPORT_{name}", value)
    settings = load_settings(None)
    with Register.init(settings.register_config, create_keys=True) as register:
        accounts = Accounts(register.engine, idle=timedelta(minutes=15))
        for name, role in (("olga", Role.OFFICER), ("rémi", Role.REVIEWER), ("vic", Role.VIEWER)):
            accounts.add(name.replace("é", "e"), role, PASSWORD, by="test")
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


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        message = "Chromium is missing: apt-get install -y chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield launched
        launched.close()
