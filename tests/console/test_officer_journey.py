"""The officer's console in a real browser: sign-in, throttling, add, mailbox verification,
four eyes, CSRF, roles, "was this address sent?", the audit report, and canary scans."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import requests

from audiences.ledger import ExportRequest, Ledger
from objections.canonical import canonical_key
from objections.register import Register
from pipelines.console.sent import sent_recorder
from pipelines.prepare import UploadBatch
from tests.console.conftest import PASSWORD, Console, Mailbox

DOCS = Path(__file__).parents[2] / "docs"
OBJECTOR = "Jeanne.Objecte+news@gmail.com"
UPLOADED = "paul.uploaded@example.org"


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
            ExportRequest("meta", "act_1", "FR", 0.01, False, timedelta(hours=48))
        )
        on_sent = sent_recorder(ledger, register, record.export_id, retention_days=30)
        on_sent(UploadBatch([canonical_key(UPLOADED)], ["0" * 64]))
        return record.export_id


def test_the_officers_journey(browser: Any, console: Console, mailbox: Mailbox) -> None:
    officer = browser.new_context().new_page()
    # Wrong passwords are throttled: the sixth try is refused even with the right one.
    for _ in range(5):
        sign_in(officer, console, "olga", "wrong password!")
        assert "wrong account name or password" in officer.content()
    sign_in(officer, console, "olga")
    assert "too many failed sign-ins" in officer.content()

    other = browser.new_context(extra_http_headers={"X-Forwarded-For": "x"}).new_page()
    sign_in(other, console, "rémi".replace("é", "e"))
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
    other.screenshot(path=str(DOCS / "console-queue.png"), full_page=True)
    other.goto(objection_url)
    other.click("#mail-link button")
    assert len(mailbox.messages) == 1
    body = mailbox.messages[0].get_payload(decode=True).decode()
    link = re.search(r"http://\S+/verify/\S+", body)
    assert link is not None
    subject = browser.new_context().new_page()
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

    # A viewer cannot reveal an address.
    viewer = browser.new_context().new_page()
    sign_in(viewer, console, "vic")
    token = viewer.locator("input[name=csrf]").first.get_attribute("value")
    viewer_cookies = {c["name"]: c["value"] for c in viewer.context.cookies()}
    denied = requests.post(
        f"{objection_url}/reveal",
        data={"csrf": token, "reason": "curious"},
        cookies=viewer_cookies,
        timeout=10,
    )
    assert denied.status_code == 403
    assert OBJECTOR not in denied.text

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

    # Today's audit report lists the export and the reveal with its reason.
    other.goto(f"{console.url}/report")
    report = other.inner_text("main")
    assert export_id in report
    other.screenshot(path=str(DOCS / "console-report.png"), full_page=True)

    # Canaries: no address nor plain hash in the databases or the pages served.
    plain_hash = hashlib.sha256(OBJECTOR.lower().encode()).hexdigest().encode()
    home = Path(console.settings.home)
    for path in home.glob("*.sqlite"):
        content = path.read_bytes()
        for canary in (OBJECTOR.encode(), OBJECTOR.lower().encode(), UPLOADED.encode(), plain_hash):
            assert canary not in content, path
    assert OBJECTOR not in report
    assert UPLOADED not in report
