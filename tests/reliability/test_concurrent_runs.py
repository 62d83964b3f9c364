"""Concurrent runs for the same ad account both complete, each with its own seed.

Nothing locks an ad account: every export has its own ledger row, seed (named
after its export), upload session and lookalike, and checks the objection
register before each batch. The databases they share serialise their writers.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from audiences.ledger import AudienceState, ExportRecord, Ledger, seed_name
from audiences.meta.client import MetaDestination
from objections.config import RegisterConfig
from objections.model import Channel
from objections.register import Register
from pipelines.lifecycle import Lifecycle
from pipelines.runtime import utc_now
from pipelines.settings import Settings
from tests.fixtures.exports import (
    DemoWorld,
    batches_sent,
    bound_sandbox,
    build_world,
    mailbox_key,
    meta_hash,
    plan_bound_export,
    start_cli,
    wait_for_ledger,
)
from tests.fixtures.sandbox import MATCH_DELAY, RunningSandbox, sandbox_meta_config


def last_uploadable_address(world: DemoWorld) -> str:
    """The last address of the source that is uploaded, and shares its mailbox with no one."""
    emails = [email for email in world.accounts.column("email").to_pylist() if email]
    mailboxes = Counter(map(mailbox_key, emails))
    return next(
        email
        for email in reversed(emails)
        if meta_hash(email) in world.expected and mailboxes[mailbox_key(email)] == 1
    )


def both_uploading(exports: list[ExportRecord]) -> bool:
    return len(exports) == 2 and all(
        record.state is AudienceState.UPLOADING and batches_sent(record) >= 2 for record in exports
    )


def upload_span(sandbox: RunningSandbox, seed_id: str) -> tuple[float, float]:
    """When the platform received the first and the last batch of a seed."""
    times = [
        request["arrived_at"]
        for request in sandbox.requests()
        if request["method"] == "POST" and request["path"].endswith(f"/{seed_id}/users")
    ]
    return min(times), max(times)


@pytest.mark.prefect
def test_two_exports_to_the_same_ad_account_at_once_both_complete_with_their_own_seed(
    export_settings: Settings, sandbox: RunningSandbox, prefect_server: str, tmp_path: Path
) -> None:
    world = build_world(export_settings)
    late_objector = last_uploadable_address(world)
    # Slow batches until both uploads are under way, so that they surely overlap.
    sandbox.set_faults(latency_ms=150)
    outputs = [tmp_path / "first.out", tmp_path / "second.out"]
    runs = [
        start_cli(output, prefect_server, "run", EXPORT_UPLOAD_BATCH_SIZE="100")
        for output in outputs
    ]
    try:
        wait_for_ledger(export_settings, runs, both_uploading)
        # The privacy officer records an objection while both exports upload.
        with Register.open(export_settings.register_config) as register:
            register.add(late_objector, channel=Channel.PHONE, by="privacy officer")
            register_version = register.version()
        sandbox.set_faults(latency_ms=0)
        for run in runs:
            run.wait(timeout=120)
    finally:
        for run in runs:
            if run.poll() is None:
                run.kill()
                run.wait()
    printed = [output.read_text(errors="replace") for output in outputs]
    assert [run.returncode for run in runs] == [0, 0], printed
    assert all("Export summary" in text for text in printed)

    with Ledger.open(export_settings.ledger_url) as ledger:
        exports = ledger.exports()
    assert [record.state for record in exports] == [AudienceState.SEED_DELETION_VERIFIED] * 2
    for attribute in (
        "export_id",
        "seed_audience_id",
        "upload_session_id",
        "lookalike_audience_id",
    ):
        assert len({getattr(record, attribute) for record in exports}) == 2, attribute

    first, second = (upload_span(sandbox, str(record.seed_audience_id)) for record in exports)
    assert max(first[0], second[0]) < min(first[1], second[1]), "the uploads did not overlap"

    wanted = world.expected - {meta_hash(late_objector)}
    for record in exports:
        assert record.seed_audience_id is not None
        received = sandbox.received(record.seed_audience_id)["added"]
        assert len(received) == len(set(received)), "a hash was sent twice to one seed"
        assert set(received) == wanted, "each seed holds the whole list, minus the late objector"
        assert record.counts["uploaded"] == len(wanted)
        assert record.register_version == register_version
        assert sandbox.audience(record.seed_audience_id)["deleted"]
        assert not sandbox.audience(str(record.lookalike_audience_id))["deleted"]


OPEN_REGISTER = """
import sys
from objections.config import RegisterConfig
from objections.register import Register
config = RegisterConfig.model_validate_json(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
with Register.open(config) as register:
    register.version()
"""


def open_at_once(config: RegisterConfig, processes: int) -> list[str]:
    """Open a register from ``processes`` processes at the same moment; what failed."""
    openers = [
        subprocess.Popen(
            [sys.executable, "-c", OPEN_REGISTER, config.model_dump_json()],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    for opener in openers:  # every process has imported everything …
        assert opener.stdout is not None
        assert opener.stdout.readline() == "ready\n"
    for opener in openers:  # … then they all open the register at once
        assert opener.stdin is not None
        opener.stdin.write("go\n")
        opener.stdin.close()
    failures = []
    for opener in openers:
        assert opener.stderr is not None
        errors = opener.stderr.read()  # a traceback at most: fits in the pipe
        if opener.wait(timeout=60):
            failures.append(errors.strip().splitlines()[-1])
    return failures


def test_runs_opening_a_new_register_at_once_all_succeed(backend_config: RegisterConfig) -> None:
    # E.g. the first scheduled export and the reconciler, keys from the environment,
    # on a database nobody has opened yet.
    assert open_at_once(backend_config, processes=4) == []
    with Register.open(backend_config) as register:
        register.add("someone@example.org", channel=Channel.EMAIL, by="privacy officer")
        assert register.version().startswith("1-")


def test_the_reconciler_and_an_export_advancing_the_same_export_both_carry_on(
    export_settings: Settings, sandbox: RunningSandbox
) -> None:
    platform = MetaDestination(sandbox_meta_config(sandbox))
    with Ledger.open(export_settings.ledger_url) as ledger:
        export_id = plan_bound_export(ledger, export_settings, sandbox).export_id
        seed_id = platform.create_seed(name=seed_name(export_id), description="a seed")
        ledger.record(export_id, AudienceState.CREATED, seed_audience_id=seed_id)
        ledger.record(export_id, AudienceState.UPLOADING)
        ledger.record(export_id, AudienceState.UPLOADED)
        time.sleep(2 * MATCH_DELAY)  # the platform has matched the seed
        endpoint = bound_sandbox(export_settings, sandbox).endpoint
        lifecycle = Lifecycle(ledger, platform, endpoint, clock=utc_now)
        # Both runners read the export while it waits for matching …
        seen_by_export_flow = seen_by_reconciler = ledger.get(export_id)
        # … the export flow records the match first, then the reconciler tries the same step.
        assert lifecycle.step(seen_by_export_flow).state is AudienceState.MATCHED
        after = lifecycle.advance_until_blocked(seen_by_reconciler)

        assert after.state is not AudienceState.UPLOADED
        assert [event.state for event in ledger.history(export_id)].count(
            AudienceState.MATCHED
        ) == 1
