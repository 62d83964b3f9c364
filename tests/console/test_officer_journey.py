"""The officer's console in a real browser: sign-in, throttling, add, mailbox verification,
four eyes, CSRF, roles, revealing an address, exporting the register, "was this address
sent?", the audit report, and canary scans of the databases, every response and the logs."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import MetaData, create_engine, select

from audiences.destination import LookalikeSize
from audiences.ledger import ExportRequest, Ledger
from objections.canonical import canonical_key
from objections.register import Register
from pipelines.console.sent import sent_recorder
from pipelines.prepare import UploadBatch
from tests.console.conftest import PASSWORD, Console, Mailbox, Served
from tests.fixtures.canary import IdentifierScanner

DOCS = Path(__file__).parents[2] / "docs"
OBJECTOR = "Jeanne.Objecte+news@gmail.com"
UPLOADED = "paul.uploaded@example.org"
CANARIES = IdentifierScanner.of(
    [OBJECTOR, UPLOADED, canonical_key(OBJECTOR), canonical_key(UPLOADED)]
)
"""Both addresses in every spelling the product handles, and their plain SHA-256."""


def sign_in(page: Any, console: Console, name: str, password: str = PASSWORD) -> None:
    page.goto(f"{console.url}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("button:has-text('Sign in')")


def uploaded_by_an_export(console: Console) -> str:
    """An export that uploaded UPLOADED (recorded as the upload loop records it)."""
    settings = console.settings
    with (
        Register.open(settings.register_config) as register,
        Ledger.open(settings.ledger_url) as ledger,
    ):
        record = ledger.plan_export(
            ExportRequest(
                "meta", "act_1", "FR", LookalikeSize(ratio=0.01), False, timedelta(hours=48)
            )
        )
        on_sent = sent_recorder(ledger, register, record.export_id, retention_days=30)
        on_sent(UploadBatch([canonical_key(UPLOADED)], ["0" * 64]))
        return record.export_id


def post_as(page: Any, url: str, **fields: str) -> requests.Response:
    """A POST outside the browser with the page's session cookie and CSRF token."""
    token = page.locator("input[name=csrf]").first.get_attribute("value")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    return requests.post(url, data={"csrf": token, **fields}, cookies=cookies, timeout=10)


def stored_bytes(console: Console) -> Iterator[tuple[str, bytes]]:
    """Every value of every table of the register and the ledger (either backend), and the
    SQLite files themselves (their free pages too)."""
    for url in {console.settings.register_config.url, console.settings.ledger_url}:
        engine = create_engine(url)
        tables = MetaData()
        tables.reflect(engine)
        with engine.connect() as connection:
            for table in tables.sorted_tables:
                for row in connection.execute(select(table)):
                    for value in row:
                        raw = value if isinstance(value, bytes) else str(value).encode()
                        yield f"{url.split('/')[-1]} {table.name}", raw
        engine.dispose()
    for path in Path(console.settings.home).glob("*.sqlite*"):
        yield str(path), path.read_bytes()


def test_the_officers_journey(
    new_page: Callable[[], Any],
    console: Console,
    mailbox: Mailbox,
    served: Served,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.WARNING, logger="mail.log")  # the test's SMTP server, not ours
    officer = new_page()
    # Wrong passwords are throttled: the sixth try is refused even with the right one.
    for _ in range(5):
        sign_in(officer, console, "olga", "wrong password!")
        assert "wrong account name or password" in officer.content()
    sign_in(officer, console, "olga")
    assert "too many failed sign-ins" in officer.content()

    other = new_page()
    sign_in(other, console, "remi")
    assert other.url.endswith("/objections")

    # Add → it appears in the queue → the verification mail's link verifies it.
    other.goto(f"{console.url}/objections/new")
    other.fill("#add input[name=address]", OBJECTOR)
    other.select_option("#add select[name=channel]", "email")
    other.fill("#add input[name=evidence]", "T-77")
    other.click("#add button")
    objection_url = other.url
    assert OBJECTOR not in other.content()
    other.goto(f"{console.url}/objections")
    assert "T-77" in other.inner_text("#queue")
    assert other.locator("#export-register").count() == 0
    other.screenshot(path=str(DOCS / "console-queue.png"), full_page=True)
    other.goto(objection_url)
    other.click("#mail-link button")
    assert len(mailbox.messages) == 1
    body = mailbox.messages[0].get_payload(decode=True).decode()
    link = re.search(r"http://\S+/verify/\S+", body)
    assert link is not None
    subject = new_page()
    subject.goto(link.group(0))
    subject.click("button:has-text('Confirm')")
    assert "Your mailbox is confirmed" in subject.content()
    subject.goto(link.group(0))
    subject.click("button:has-text('Confirm')")
    assert "expired or was used already" in subject.content()
    other.goto(objection_url)
    assert other.inner_text("#status") == "verified"
    assert "mailbox_control" in other.inner_text("#history")

    # Four eyes: the reviewer requests, the same reviewer cannot confirm.
    other.fill("#withdraw input[name=note]", "asked by phone")
    other.click("#withdraw button")
    assert "still suppresses" in other.inner_text("#pending")
    other.fill("#withdraw input[name=note]", "again")
    other.click("#withdraw button")
    assert "second reviewer" in other.content()

    # A POST without the CSRF token is refused.
    cookies = {c["name"]: c["value"] for c in other.context.cookies()}
    forged = requests.post(
        f"{objection_url}/withdraw", data={"note": "forged"}, cookies=cookies, timeout=10
    )
    assert forged.status_code == 403

    # A viewer cannot reveal an address; neither a viewer nor a reviewer exports the register.
    viewer = new_page()
    sign_in(viewer, console, "vic")
    denied = [
        post_as(viewer, f"{objection_url}/reveal", reason="curious"),
        post_as(viewer, f"{console.url}/objections/export", reason="curious"),
        post_as(other, f"{console.url}/objections/export", reason="curious"),
    ]
    assert [answer.status_code for answer in denied] == [403, 403, 403]

    # The second officer reveals the address, with a reason, and exports the register.
    chief = new_page()
    sign_in(chief, console, "otto")
    chief.goto(objection_url)
    chief.fill("#reveal input[name=reason]", "R-9: the person asked which address we hold")
    chief.click("#reveal button")
    assert chief.inner_text("#address") == OBJECTOR
    chief.goto(f"{console.url}/objections")
    chief.fill("#export-register input[name=reason]", "R-10: annual register review")
    with chief.expect_download() as download:
        chief.click("#export-register button")
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert exported.splitlines()[0].startswith("id,address,")
    assert OBJECTOR in exported
    download.value.delete()

    # The lookup finds the uploaded address, not the suppressed one.
    export_id = uploaded_by_an_export(console)
    other.goto(f"{console.url}/lookup")
    other.fill("#lookup input[name=address]", UPLOADED)
    other.fill("#lookup input[name=reason]", "request R-1 from the verified mailbox")
    other.click("#lookup button")
    assert export_id[:8] in other.inner_text("#sent")
    other.screenshot(path=str(DOCS / "console-lookup.png"), full_page=True)
    other.fill("#lookup input[name=address]", OBJECTOR)
    other.fill("#lookup input[name=reason]", "request R-2")
    other.click("#lookup button")
    assert "Not found" in other.inner_text("#answer")

    # Today's audit report lists the export, the reveal and the register export, with reasons.
    other.goto(f"{console.url}/report")
    report = other.inner_text("main")
    assert export_id in report
    deeds = other.inner_text("#report-deeds")
    assert "address_revealed" in deeds
    assert "R-9: the person asked which address we hold" in deeds
    assert "register_exported" in deeds
    assert "R-10: annual register review" in deeds
    other.screenshot(path=str(DOCS / "console-report.png"), full_page=True)
    with other.expect_download() as report_csv:
        other.click("a:has-text('CSV')")
    audit_csv = Path(report_csv.value.path()).read_bytes()
    report_csv.value.delete()
    assert b"R-10: annual register review" in audit_csv

    # Canaries: no address nor plain hash in the databases, in any response but the reveal
    # asked for, nor in the logs.
    hits = [hit for where, raw in stored_bytes(console) for hit in CANARIES.scan_bytes(where, raw)]
    assert hits == []
    revealed = [body for method, url, body in served.bodies if url.endswith("/reveal")]
    assert len(revealed) == 1
    assert CANARIES.scan_bytes("the reveal", revealed[0])  # the scanner sees an address
    pages = [
        (f"{method} {url}", body)
        for method, url, body in served.bodies
        if not url.endswith("/reveal")
    ]
    assert len(pages) > 30
    pages += [(f"refused {answer.url}", answer.content) for answer in [forged, *denied]]
    pages += [("the audit report's CSV", audit_csv)]
    assert [hit for where, body in pages for hit in CANARIES.scan_bytes(where, body)] == []
    logs = caplog.text + "".join(capfd.readouterr())
    assert CANARIES.scan_bytes("logs", logs.encode()) == []
