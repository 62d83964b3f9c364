"""``prefect setup``: automations post to the webhook for a failed run and an overdue seed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client

from pipelines.reconcile import Attention
from tests.fixtures.exports import build_world, configure_export, run_export
from tests.fixtures.sandbox import RunningSandbox

CLI = str(Path(sys.executable).with_name("audience-export"))


class Listener(ThreadingHTTPServer):
    """A loopback webhook that keeps every JSON body it receives."""

    received: list[dict[str, str]]

    def wait_for(self, words: str, timeout: float = 30.0) -> dict[str, str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for body in self.received:
                if words in body["subject"] + body["text"]:
                    return body
            time.sleep(0.1)
        raise AssertionError(f"no notification with {words!r}; received {self.received}")


class Handler(BaseHTTPRequestHandler):
    server: Listener

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        self.server.received.append(json.loads(self.rfile.read(length)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener(("127.0.0.1", 0), Handler)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def prefect_setup(prefect_api: str, webhook: str) -> subprocess.CompletedProcess[str]:
    environment = {
        "PATH": "/usr/bin:/bin",
        "PREFECT_HOME": os.environ["PREFECT_HOME"],
        "PREFECT_API_URL": prefect_api,
        "AUDIENCE_EXPORT_NOTIFY_WEBHOOK_URL": webhook,
    }
    return subprocess.run(
        [CLI, "prefect", "setup"], env=environment, capture_output=True, text=True, check=False
    )


@pytest.mark.prefect
def test_setup_is_idempotent_and_notifies_a_failed_run_and_an_overdue_seed(
    prefect_server: str,
    listener: Listener,
    sandbox: RunningSandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    webhook = f"http://127.0.0.1:{listener.server_address[1]}/hook/s3cret-token"
    for _ in range(2):
        done = prefect_setup(prefect_server, webhook)
        assert done.returncode == 0, done.stderr
    assert "s3cret-token" not in done.stdout + done.stderr
    with get_client(sync_client=True) as client:
        names = [automation.name for automation in client.read_automations()]
    assert sorted(name for name in names if name.startswith("audience-export")) == [
        "audience-export: lookalike ready",
        "audience-export: run failed or crashed",
        "audience-export: seed overdue",
    ]

    settings = configure_export(monkeypatch, sandbox, tmp_path / "home")
    build_world(settings, rows=300, objectors=3)
    with pytest.raises(Exception, match="country must be"):
        run_export(country="France")
    failed = listener.wait_for("ended Failed")
    assert "country must be an ISO 3166-1 alpha-2 code" in failed["text"]

    from pipelines.flows.events import announce_overdue  # noqa: PLC0415

    deadline = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    announce_overdue(Attention("exp-42", "meta", "overdue", "past its deadline", deadline))
    overdue = listener.wait_for("exp-42")
    assert "overdue (deadline 2026-12-02T12:00:00+00:00)" in overdue["text"]


def test_setup_without_a_webhook_url_says_how_to_give_one() -> None:
    done = subprocess.run(
        [CLI, "prefect", "setup"],
        env={
            "PATH": "/usr/bin:/bin",
            "PREFECT_HOME": os.environ["PREFECT_HOME"],
            "PREFECT_API_URL": "http://127.0.0.1:9/api",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "AUDIENCE_EXPORT_NOTIFY_WEBHOOK_URL" in done.stderr
