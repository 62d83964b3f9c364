"""Exports to the TikTok sandbox: settings wired to it, and what its wiretap shows.

:func:`configure_tiktok_export` is :func:`~tests.fixtures.exports.configure_export`
with TikTok chosen as the destination and its ``[tiktok]`` section pointed at the
in-process TikTok sandbox, so that in-process flows and ``audience-export``
subprocesses (which inherit the environment) both export there.
"""

from __future__ import annotations

import subprocess
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from audiences.ledger import ExportRecord
from pipelines.settings import Settings
from tests.fixtures.exports import configure_export, start_cli
from tests.fixtures.sandbox import RunningSandbox
from tests.fixtures.tiktok_sandbox import RunningTikTokSandbox

BATCH_SIZE = 200
"""Hashes per uploaded file: a demo export takes several files."""
MAX_ATTEMPTS = 12
"""Attempts per Business API call. With 20 % of calls faulted, one call fails all
twelve with probability 0.2**12 ≈ 4e-9 (and the sandbox's faults are seeded)."""


def tiktok_settings(sandbox: RunningTikTokSandbox) -> dict[str, str]:
    """The settings (no ``AUDIENCE_EXPORT_`` prefix) that export to the TikTok sandbox."""
    return {
        "EXPORT_DESTINATION": "tiktok",
        "EXPORT_SIZE": "balanced",
        "EXPORT_UPLOAD_BATCH_SIZE": str(BATCH_SIZE),
        "TIKTOK_BASE_URL": sandbox.url,
        "TIKTOK_ACCESS_TOKEN": sandbox.access_token,
        "TIKTOK_ADVERTISER_ID": sandbox.advertiser_id,
        "TIKTOK_BACKOFF_SECONDS": "0.01",
        "TIKTOK_MAX_BACKOFF_SECONDS": "0.5",
        "TIKTOK_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
    }


def configure_tiktok_export(
    monkeypatch: pytest.MonkeyPatch,
    meta_sandbox: RunningSandbox,
    tiktok_sandbox: RunningTikTokSandbox,
    home: Path,
    **overrides: str,
) -> Settings:
    """A data folder in ``home`` exporting to the TikTok sandbox; ``overrides`` as in
    ``configure_export`` (the Meta sandbox only fills the unused ``[meta]`` section)."""
    return configure_export(
        monkeypatch, meta_sandbox, home, **(tiktok_settings(tiktok_sandbox) | overrides)
    )


def seed_of(record: ExportRecord) -> str:
    """The export's seed id, which every export that uploaded has."""
    assert record.seed_audience_id is not None, "the ledger records the seed TikTok created"
    return record.seed_audience_id


def repeated(hashes: list[str]) -> int:
    """How many distinct hashes occur more than once."""
    return sum(1 for times in Counter(hashes).values() if times > 1)


def custom_audiences(sandbox: RunningTikTokSandbox, *, deleted: bool) -> list[str]:
    """Ids of the customer-file audiences (seeds) deleted, or still live."""
    return [
        audience["id"]
        for audience in sandbox.state()
        if audience["subtype"] == "CUSTOM" and audience["deleted"] is deleted
    ]


@contextmanager
def cli_runs(
    prefect_api: str, outputs: list[Path], **overrides: str
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``audience-export run`` once per output file, all at once; any still running
    when the block ends is killed (``overrides`` as in ``start_cli``)."""
    runs = [start_cli(output, prefect_api, "run", **overrides) for output in outputs]
    try:
        yield runs
    finally:
        for run in runs:
            if run.poll() is None:
                run.kill()
            run.wait(timeout=30)
