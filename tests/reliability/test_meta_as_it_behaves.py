"""Meta as it really behaves, end to end: refused deletions, gateway pages, status codes, sessions.

Each test runs the real flows over real HTTP against a sandbox switched to one
of Meta's harsher behaviours, and ends with a canary scan. Every test that
runs an export also checks the sandbox's request log: no token, proof or hash
ever rides in a URL.
"""

from __future__ import annotations

import subprocess
from collections import Counter
from pathlib import Path

import pytest
from prefect.client.schemas.objects import State

from audiences.identity import unwrap_addresses
from audiences.ledger import AudienceState, ExportRecord, Ledger
from pipelines.flows.export import ExportFailed
from pipelines.flows.reconcile import OVERDUE_EVENT, reconcile_audiences
from tests.fixtures.canary import scan_everything, written_places
from tests.fixtures.exports import (
    CLI,
    DemoWorld,
    cli_environment,
    flow_run_artifacts,
    latest_export,
    meta_hash,
    run_export,
    run_reconcile,
)
from tests.fixtures.sandbox import RunningSandbox
from tests.reliability.scenarios import (
    HEX_DIGEST,
    configure_small_world,
    event_after_batch,
    events_about,
)
from tests.reliability.test_objection_race import record_objections

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_server")]

WAIT_FOR_PLATFORM_SECONDS = 2.0
"""How long an export run waits on the platform: matching and lookalikes take
0.1 s here, so a run that waits longer is retrying something that will not change."""
SESSION_TIMEOUT_SECONDS = 5.0
SLOW_BATCH_SIZE = 100
SLOW_LATENCY_MS = 700.0
"""Ten-odd batches of 100 at 0.7 s each: the upload outlives a 5-second session."""
MAX_ATTEMPTS = 10
"""Attempts per Graph call under a 0.2 fault rate: all ten fail with odds 1e-7."""
NEVER = 3600.0


@pytest.fixture
def world(sandbox: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DemoWorld:
    """The small demo world, uploaded in batches of 200; the run waits briefly on the platform."""
    return configure_small_world(
        monkeypatch,
        sandbox,
        tmp_path / "home",
        EXPORT_WAIT_FOR_MATCH_SECONDS=str(WAIT_FOR_PLATFORM_SECONDS),
        META_MAX_ATTEMPTS=str(MAX_ATTEMPTS),
    )


def assert_nothing_leaked(
    world: DemoWorld, sandbox: RunningSandbox, capfd: pytest.CaptureFixture[str]
) -> str:
    """No address or hash anywhere a run may write or in what it printed, and no token,
    proof or hash in any URL the sandbox received; what the run printed."""
    captured = capfd.readouterr()
    output = captured.out + captured.err
    assert scan_everything(world.settings, world.addresses, output) == []
    requests = sandbox.requests()
    assert requests, "the sandbox logged no request"
    secrets = (sandbox.access_token, sandbox.appsecret_proof)
    for request in requests:
        url = f"{request['path']}?{request['query']}"
        assert not any(secret in url for secret in secrets), f"a secret in {request['path']}"
        assert not HEX_DIGEST.search(url), f"a 64-digit hex token in a {request['method']} URL"
        assert request["authorization_scheme"] is not None, "the token did not ride in a header"
    return output


def audience_of(sandbox: RunningSandbox, subtype: str) -> str:
    """The id of the only audience of ``subtype`` (``CUSTOM`` or ``LOOKALIKE``)."""
    (found,) = [audience["id"] for audience in sandbox.state() if audience["subtype"] == subtype]
    return str(found)


def states_of(world: DemoWorld, record: ExportRecord) -> Counter[AudienceState]:
    """How often the export entered each state."""
    with Ledger.open(world.settings.ledger_url) as ledger:
        return Counter(event.state for event in ledger.history(record.export_id))


def note_kinds(world: DemoWorld, record: ExportRecord) -> list[str]:
    with Ledger.open(world.settings.ledger_url) as ledger:
        return [note.kind for note in ledger.notes(record.export_id)]


def spool_left(world: DemoWorld, record: ExportRecord) -> tuple[list[Path], bool]:
    """The export's spool files still on disk, and whether its key is still in the ledger."""
    folder = world.settings.home / "spool" / record.export_id
    files = sorted(path for path in folder.rglob("*") if path.is_file())
    with Ledger.open(world.settings.ledger_url) as ledger:
        return files, ledger.spool_key(record.export_id) is not None


def reconcile_run() -> tuple[State[dict[str, int]], str]:
    """Run the ``reconcile-audiences`` flow: its final state, and its summary artifact."""
    state = reconcile_audiences(return_state=True)
    flow_run_id = state.state_details.flow_run_id
    assert flow_run_id is not None
    return state, "\n".join(str(artifact.data) for artifact in flow_run_artifacts(flow_run_id))


def assert_verified_without_spool(world: DemoWorld, record: ExportRecord) -> None:
    """The seed's deletion is verified, and its spool and key are destroyed, noted."""
    assert record.state is AudienceState.SEED_DELETION_VERIFIED
    assert record.deletion_answer is not None
    assert "subcode 33" in record.deletion_answer
    assert spool_left(world, record) == ([], False)
    assert not (world.settings.home / "spool" / record.export_id).exists()
    assert note_kinds(world, record).count("spool_destroyed") == 1


def test_refused_deletion_empties_the_seed_until_the_lookalike_is_deleted(
    world: DemoWorld, sandbox: RunningSandbox, capfd: pytest.CaptureFixture[str]
) -> None:
    sandbox.set_options(refuse_seed_delete_with_lookalikes=True)

    record = run_export(country="FR", ratio=0.02)

    assert record.state is AudienceState.SEED_EMPTIED
    assert record.failure_reason is None, "the marketing part succeeded"
    assert record.latest_reason is not None
    assert "lookalike" in record.latest_reason
    states = states_of(world, record)
    assert AudienceState.SEED_DELETION_VERIFIED not in states
    assert states[AudienceState.SEED_EMPTIED] == 1, "the run left the retries to the reconciler"
    seed_id, lookalike_id = record.seed_audience_id, record.lookalike_audience_id
    assert seed_id is not None
    assert lookalike_id is not None
    wiretap = sandbox.received(seed_id)
    assert Counter(wiretap["removed"]) == Counter(wiretap["added"])
    assert set(wiretap["added"]) == world.expected
    assert record.counts["removed_from_seed"] == len(wiretap["added"])
    seed = sandbox.audience(seed_id)
    assert (seed["deleted"], seed["members"]) == (False, 0)
    files, has_key = spool_left(world, record)
    assert files, "the spool is kept while the seed exists"
    assert has_key

    # The reconciler retries the deletion and says the seed is emptied, not deleted.
    state, report = reconcile_run()
    assert state.result() == {"unfinished": 1, "finished": 0}
    assert f"| state | {AudienceState.SEED_EMPTIED} |" in report
    assert latest_export(world.settings).state is AudienceState.SEED_EMPTIED
    assert not sandbox.audience(seed_id)["deleted"]

    sandbox.delete_audience(lookalike_id)  # the operator, in Ads Manager
    assert run_reconcile() == {"unfinished": 0, "finished": 1}

    assert_verified_without_spool(world, latest_export(world.settings))
    assert sandbox.audience(seed_id)["deleted"]
    assert len(sandbox.received(seed_id)["removed"]) == len(wiretap["added"]), "emptied once"
    assert_nothing_leaked(world, sandbox, capfd)


def test_policy_delete_lookalike_deletes_both_and_verifies(
    world: DemoWorld,
    sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    sandbox.set_options(refuse_seed_delete_with_lookalikes=True)
    monkeypatch.setenv("AUDIENCE_EXPORT_EXPORT_SEED_DELETE_REFUSED", "delete-lookalike")

    record = run_export(country="FR", ratio=0.02)

    assert_verified_without_spool(world, record)
    assert record.seed_audience_id is not None
    assert record.lookalike_audience_id is not None
    assert sandbox.audience(record.seed_audience_id)["deleted"]
    assert sandbox.audience(record.lookalike_audience_id)["deleted"]
    assert sandbox.received(record.seed_audience_id)["removed"] == [], "deleted, not emptied"
    assert "lookalike_deleted" in note_kinds(world, record)
    assert AudienceState.SEED_EMPTIED not in states_of(world, record)
    assert_nothing_leaked(world, sandbox, capfd)


def test_refused_deletion_and_refused_emptying_fail_the_reconciler_loudly(
    world: DemoWorld,
    sandbox: RunningSandbox,
    prefect_server: str,
    capfd: pytest.CaptureFixture[str],
) -> None:
    sandbox.set_options(refuse_seed_delete_with_lookalikes=True, removal_floor=1_000_000)

    with pytest.raises(ExportFailed, match="the seed could not be deleted"):
        run_export(country="FR", ratio=0.02)  # the marketer's run fails too: never green

    record = latest_export(world.settings)
    assert record.state is AudienceState.SEED_DELETION_REFUSED
    assert record.seed_audience_id is not None
    seed = sandbox.audience(record.seed_audience_id)
    assert not seed["deleted"]
    assert seed["members"] == len(world.expected), "nothing could be removed"
    assert spool_left(world, record)[1], "the spool is kept: the seed still exists"

    state, report = reconcile_run()
    assert state.is_failed()
    assert f"| state | {AudienceState.SEED_DELETION_REFUSED} |" in report
    assert "**refused**" in report
    assert f"export {record.export_id}" in str(state.message)
    assert "refused" in str(state.message)
    assert "audience manager" in str(state.message)
    alerts = events_about(record.export_id, OVERDUE_EVENT)
    assert [alert.payload["kind"] for alert in alerts] == ["refused"]
    reconciled = latest_export(world.settings)
    assert reconciled.state is AudienceState.SEED_DELETION_REFUSED
    assert reconciled.latest_reason is not None
    assert f"seed {record.seed_audience_id}" in reconciled.latest_reason

    command = subprocess.run(
        [CLI, "reconcile"],
        env=cli_environment(prefect_server),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    printed = command.stdout + command.stderr
    assert command.returncode != 0, printed
    assert f"export {record.export_id}" in printed
    assert "audience manager" in printed
    assert_nothing_leaked(world, sandbox, capfd)
    assert scan_everything(world.settings, world.addresses, printed) == []


def type_errors(world: DemoWorld) -> int:
    """How often ``TypeError`` is written anywhere a run may write (Prefect's database too)."""
    count = 0
    for root in written_places(world.settings):
        for path in [root] if root.is_file() else root.rglob("*"):
            if path.is_file():
                count += path.read_bytes().count(b"TypeError")
    return count


@pytest.mark.parametrize("html_status", ["502/504", "200"])
def test_gateway_pages_are_retried_and_every_hash_arrives_once(
    world: DemoWorld,
    sandbox: RunningSandbox,
    html_status: str,
    capfd: pytest.CaptureFixture[str],
) -> None:
    before = type_errors(world)
    sandbox.set_faults(html_fault_rate=0.2, html_fault_200=html_status == "200")

    record = run_export(country="FR", ratio=0.02)

    assert record.state is AudienceState.SEED_DELETION_VERIFIED
    assert record.failure_reason is None
    assert record.seed_audience_id is not None
    added = sandbox.received(record.seed_audience_id)["added"]
    assert [h for h, times in Counter(added).items() if times > 1] == []
    assert set(added) == world.expected
    assert record.counts["uploaded"] == len(added)
    uploads = [r for r in sandbox.requests() if r["path"].endswith("/users")]
    assert len(uploads) > record.counts["batches_sent"], "no upload met a gateway page"
    if html_status == "502/504":
        assert {r["status"] for r in uploads} & {502, 504}, "no upload met a 502 or 504"
    output = assert_nothing_leaked(world, sandbox, capfd)
    assert "TypeError" not in output
    assert type_errors(world) == before


def upload_order(world: DemoWorld) -> dict[str, str]:
    """Each expected hash with its address, in the order the export prepares them
    (source rows in order, each hash the first time it is read)."""
    order: dict[str, str] = {}
    addresses = unwrap_addresses(world.accounts.column("email").combine_chunks()).to_pylist()
    for account, address in zip(world.accounts.to_pylist(), addresses, strict=True):
        eligible = account["status"] == "active" and account["email_verified"]
        if address and eligible and not account["deleted_at"]:
            digest = meta_hash(address)
            if digest in world.expected:
                order.setdefault(digest, address)
    assert len(order) == len(world.expected)
    return order


def test_upload_outliving_its_session_goes_on_in_a_new_one_and_closes_it(
    world: DemoWorld,
    sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("AUDIENCE_EXPORT_EXPORT_UPLOAD_BATCH_SIZE", str(SLOW_BATCH_SIZE))
    sandbox.set_options(session_timeout_seconds=SESSION_TIMEOUT_SECONDS)
    sandbox.set_faults(latency_ms=SLOW_LATENCY_MS)
    order = upload_order(world)
    prepared_batches = -(-len(order) // SLOW_BATCH_SIZE)
    last_start = (prepared_batches - 1) * SLOW_BATCH_SIZE
    last_batch = list(order)[last_start:]

    def late_objection() -> None:
        """Everyone of the last prepared batch objects once it is prepared, before it is sent."""
        record_objections(world.settings, [order[digest] for digest in last_batch])
        sandbox.set_faults(latency_ms=0.0)

    with event_after_batch(prepared_batches - 1, late_objection) as seen:
        record = run_export(country="FR", ratio=0.02)

    assert seen.batches == prepared_batches, "one final request after the objection"
    assert record.state is AudienceState.SEED_DELETION_VERIFIED
    assert record.failure_reason is None
    assert record.seed_audience_id is not None
    added = sandbox.received(record.seed_audience_id)["added"]
    assert sorted(added) == sorted(world.expected - set(last_batch)), "each hash exactly once"
    assert added[-1] == list(order)[last_start - 1], "the final request carries a row held back"
    sessions = sandbox.sessions(record.seed_audience_id)
    assert len(sessions) >= 2
    assert sessions[-1]["last_batch_flag"], "the final session was not closed"
    for ended in sessions[:-1]:
        assert (ended["last_batch_flag"], ended["ended"]) == (False, True)
    assert len({session["session_id"] for session in sessions}) == len(sessions)
    assert record.counts["sessions"] == len(sessions)
    assert record.upload_session_id == str(sessions[-1]["session_id"])
    kinds = note_kinds(world, record)
    assert kinds.count("session_restarted") == len(sessions) - 1
    assert "session_left_open" not in kinds
    assert_nothing_leaked(world, sandbox, capfd)


@pytest.mark.parametrize(
    ("subtype", "code", "words"),
    [
        pytest.param("CUSTOM", 410, "could not match the seed", id="seed-410"),
        pytest.param("CUSTOM", 411, "could not match the seed", id="seed-411"),
        pytest.param("LOOKALIKE", 431, "could not build the lookalike", id="lookalike-431"),
        pytest.param("LOOKALIKE", 471, "flagged the lookalike", id="lookalike-471"),
    ],
)
def test_failure_status_ends_the_export_at_once_and_deletes_the_seed(
    world: DemoWorld,
    sandbox: RunningSandbox,
    subtype: str,
    code: int,
    words: str,
    capfd: pytest.CaptureFixture[str],
) -> None:
    if subtype == "CUSTOM":

        def failing() -> None:
            sandbox.set_operation_status(audience_of(sandbox, "CUSTOM"), code)

        with event_after_batch(None, failing), pytest.raises(Exception) as raised:  # noqa: PT011
            run_export(country="FR", ratio=0.02)
        assert f"operation status {code}" in str(raised.value)
    else:
        sandbox.set_delays(lookalike_delay_seconds=NEVER)
        waiting = run_export(country="FR", ratio=0.02)
        assert waiting.state is AudienceState.LOOKALIKE_REQUESTED
        sandbox.set_operation_status(audience_of(sandbox, "LOOKALIKE"), code)
        assert run_reconcile() == {"unfinished": 0, "finished": 1}

    record = latest_export(world.settings)
    assert record.state is AudienceState.SEED_DELETION_VERIFIED
    assert record.failure_reason is not None
    assert words in record.failure_reason
    assert f"operation status {code}" in record.failure_reason
    assert "maximum age" not in record.failure_reason
    assert record.seed_audience_id is not None
    assert sandbox.audience(record.seed_audience_id)["deleted"]
    assert_verified_without_spool(world, record)
    assert_nothing_leaked(world, sandbox, capfd)
