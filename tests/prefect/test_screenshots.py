"""The README's screenshots, taken by Chromium in Prefect's UI: the run form and the summary.

The session's temporary Prefect server serves no UI (Prefect's test harness
turns it off), so Prefect's own UI app is served beside it on loopback,
pointed at that server's API. The pictures go to ``docs/``; each page is first
checked for what a marketer looks for on it.
"""

from __future__ import annotations

import contextvars
import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

import pytest
import uvicorn
from playwright.sync_api import expect
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterKey,
    FlowRunFilter,
    FlowRunFilterId,
)
from prefect.server.api.server import create_ui_app
from prefect.settings import (
    PREFECT_UI_API_URL,
    PREFECT_UI_STATIC_DIRECTORY,
    temporary_settings,
)

from pipelines.settings import Settings
from tests.console.conftest import free_port
from tests.fixtures.exports import build_world, run_export
from tests.prefect.test_run_form import ROOT, deploy_from_prefect_yaml

pytestmark = [pytest.mark.prefect]

RUN_FORM = ROOT / "docs" / "prefect-run-form.png"
SUMMARY = ROOT / "docs" / "prefect-summary-artifact.png"
VIEWPORT = {"width": 1280, "height": 1300}
SUMMARY_VIEWPORT = {"width": 1920, "height": 1500}
T = TypeVar("T")


def beside_the_browser(work: Callable[[], T]) -> T:
    """``work`` in another thread, in this context (Prefect's settings): Playwright's event
    loop runs in this one, where Prefect's sync calls would return un-awaited coroutines."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(contextvars.copy_context().run, work).result()


def export_and_read_its_summary() -> UUID:
    """Run one export to the sandbox; the id of its summary artifact."""
    record = run_export()
    assert record.run_id is not None
    with get_client(sync_client=True) as client:
        (summary,) = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=["lookalike-export-summary"])
            ),
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[UUID(record.run_id)])),
        )
    return summary.id


@pytest.fixture
def prefect_ui(prefect_server: str, tmp_path: Path) -> Iterator[str]:
    """Prefect's UI on a free loopback port, talking to the session's server; its URL."""
    port = free_port()
    updates = {
        PREFECT_UI_API_URL: prefect_server,
        PREFECT_UI_STATIC_DIRECTORY: str(tmp_path / "ui"),
    }
    with temporary_settings(updates):
        app = create_ui_app(ephemeral=False)
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        )
        # The UI tells the browser where the API is from the settings of this context.
        thread = threading.Thread(
            target=contextvars.copy_context().run, args=(server.run,), daemon=True
        )
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "Prefect's UI did not start within 10 s"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_the_run_form_and_the_summary_artifact_as_a_marketer_sees_them(
    prefect_ui: str, browser: Any, export_settings: Settings
) -> None:
    deployment_id = beside_the_browser(lambda: deploy_from_prefect_yaml("on-demand"))
    page = browser.new_page(viewport=VIEWPORT)

    page.goto(f"{prefect_ui}/deployments/deployment/{deployment_id}/run")
    for label in ("Destination", "Country", "Ratio", "Dry Run", "Max Seed Age Hours"):
        expect(page.get_by_text(re.compile(rf"^{label}( \(Optional\))?$"))).to_be_visible()
    expect(
        page.get_by_text("Lookalike size as a share of the country's population")
    ).to_be_visible()
    page.screenshot(path=str(RUN_FORM), full_page=True)

    build_world(export_settings, rows=400, objectors=10)
    summary = beside_the_browser(export_and_read_its_summary)
    page.set_viewport_size(SUMMARY_VIEWPORT)
    page.goto(f"{prefect_ui}/artifacts/artifact/{summary}")
    first_row = page.locator("table tr").filter(has=page.locator("td")).first
    expect(first_row).to_contain_text("environment")
    expect(first_row).to_contain_text("SANDBOX at http://127.0.0.1:")
    expect(page.locator("table")).to_contain_text("seed_deletion_verified")
    page.screenshot(path=str(SUMMARY), full_page=True)
