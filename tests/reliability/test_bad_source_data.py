"""Bad source data: every bad row is counted by reason and never uploaded; the run goes on.

A real export (flow in-process, real SDK over HTTP to the sandbox) reads a
SQLite source written with ``sqlite3`` itself, so a column holds what SQLite
allows and an ORM would not: NULL, empty text, 10 KB strings, control
characters and NUL, a BLOB that is not UTF-8, numbers. The bad rows come after
the first upload batches, so a crash would happen mid-upload.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pytest

from audiences.ledger import AudienceState
from pipelines.admission import RunRefused
from pipelines.settings import Settings
from tests.fixtures.exports import configure_export, latest_export, meta_hash, run_export
from tests.fixtures.register import generated_key_file, initialised
from tests.fixtures.sandbox import RunningSandbox

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_server")]

VALID = [f"valid.{index}@example.fr" for index in range(250)] + ["blob.ok@example.fr"]
"""Enough for a lookalike (the sandbox matches about 70 %); the last one is stored as a BLOB."""

BAD: dict[str, list[object]] = {
    "missing": [None, None],
    "empty": ["", "   "],
    "too_long": ["x" * 10_240 + "@example.fr"],
    "control_characters": ["ctrl\x01char@example.fr", "nul\x00byte@example.fr"],
    "undecodable": [b"\xffbad@example.fr"],
    "no_at_sign": [12345, 3.5],
}
"""Bad e-mail values as SQLite stores them, by the reason the ledger must count them under."""


def source_values() -> list[object]:
    """Valid rows first (the first upload batches), then every bad one."""
    values: list[object] = list(VALID[:-1])
    values.append(VALID[-1].encode())
    for bad in BAD.values():
        values += bad
    return values


def write_source(path: Path, values: Sequence[object], *, email_column: str = "email") -> None:
    """An ``accounts`` table of the default schema, every row eligible, written by ``sqlite3``."""
    with sqlite3.connect(path) as connection:
        connection.execute(
            f"CREATE TABLE accounts (id INTEGER, {email_column}, status TEXT, "
            "email_verified INTEGER, country TEXT, created_at TEXT, deleted_at TEXT)"
        )
        connection.executemany(
            "INSERT INTO accounts VALUES (?, ?, 'active', 1, 'FR', '2024-01-01', NULL)",
            enumerate(values, start=1),
        )
    connection.close()


def ready_for_export(
    monkeypatch: pytest.MonkeyPatch, sandbox: RunningSandbox, home: Path, **overrides: str
) -> Settings:
    """Small read and upload batches, so bad rows arrive mid-upload; an initialised,
    empty register whose emptiness is allowed (a first run)."""
    configured = configure_export(
        monkeypatch,
        sandbox,
        home,
        SOURCE_BATCH_ROWS="100",
        EXPORT_UPLOAD_BATCH_SIZE="100",
        OBJECTIONS_ALLOW_EMPTY="true",
        **overrides,
    )
    generated_key_file(configured.home)
    initialised(configured.register_config)
    return configured


@pytest.fixture
def settings(sandbox: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """An export of a SQLite source in ``tmp_path`` (see :func:`ready_for_export`)."""
    return ready_for_export(monkeypatch, sandbox, tmp_path / "home")


def test_bad_rows_are_counted_by_reason_and_only_valid_hashes_are_uploaded(
    settings: Settings, sandbox: RunningSandbox
) -> None:
    write_source(settings.home / "accounts.sqlite", source_values())

    record = run_export()

    assert record.state is AudienceState.SEED_DELETION_VERIFIED
    assert record.seed_audience_id is not None
    received = sandbox.received(record.seed_audience_id)["added"]
    assert sorted(received) == sorted(meta_hash(address) for address in VALID)
    counts = record.counts
    assert {reason: counts.get(f"invalid_{reason}", 0) for reason in BAD} == {
        reason: len(values) for reason, values in BAD.items()
    }
    assert counts["invalid"] == sum(map(len, BAD.values()))
    assert counts["not_utf8"] == 1
    assert counts["eligible"] == len(VALID) + counts["invalid"]
    assert counts["uploaded"] == counts["prepared"] == len(VALID)
    assert counts["batches_sent"] == 3


@pytest.mark.parametrize(
    ("column", "query", "message"),
    [
        ("mail", None, "the table accounts lacks the column(s) email"),
        (
            "email",
            "SELECT id AS account_id, status FROM accounts",
            "must return the columns account_id and email; it returns 2 column(s), without email",
        ),
    ],
    ids=["table without the column", "query without the column"],
)
def test_a_missing_email_column_is_refused_before_any_upload(
    settings: Settings,
    sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
    column: str,
    query: str | None,
    message: str,
) -> None:
    write_source(settings.home / "accounts.sqlite", VALID, email_column=column)
    if query is not None:
        monkeypatch.setenv("AUDIENCE_EXPORT_SOURCE_QUERY", query)

    with pytest.raises(RunRefused, match=re.escape(message)):
        run_export()

    record = latest_export(settings)
    assert record.state is AudienceState.FAILED
    assert record.failure_reason is not None
    assert message in record.failure_reason
    assert [r for r in sandbox.requests() if not r["path"].startswith("/_sandbox")] == []
