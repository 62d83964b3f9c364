"""The TikTok destination over real HTTP to its sandbox: wire, refusals, retries, deletion proof.

The contract every destination passes is ``tests/audiences/test_destination_contract.py``;
this file holds what is TikTok's own (``audiences/tiktok/RULES.md``).
"""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path

import pytest

from audiences.destination import LookalikeSize, MatchState
from audiences.errors import DestinationError, ErrorKind
from audiences.tiktok.client import TikTokDestination
from tests.audiences.helpers import hashes_of, wait_for
from tests.fixtures.tiktok_sandbox import RunningTikTokSandbox, sandbox_tiktok_config


def seed_of(
    destination: TikTokDestination,
    people: list[str],
    *,
    files: int = 1,
    name: str = "tiktok seed",
) -> str:
    """A seed created the TikTok way: its files uploaded, the closing one creating it."""
    assert destination.create_seed(name=name, description="") is None
    session = destination.start_session(estimated_total=len(people), seed_name=name)
    size = -(-len(people) // files)
    parts = [people[start : start + size] for start in range(0, len(people), size)]
    seed_id = None
    for number, part in enumerate(parts, start=1):
        receipt = destination.upload_batch(
            None, part, session=session, batch_seq=number, last_batch=number == len(parts)
        )
        seed_id = receipt.created_seed_id
    assert seed_id is not None
    return seed_id


def test_every_call_carries_the_token_header_and_the_advertiser_where_tiktok_wants_it(
    tiktok_destination: TikTokDestination, tiktok_sandbox: RunningTikTokSandbox
) -> None:
    seed_id = seed_of(tiktok_destination, hashes_of("wire", 300), files=3)
    wait_for(
        lambda: tiktok_destination.match_status(seed_id), lambda s: s.state is MatchState.READY
    )
    tiktok_destination.list_audiences()
    tiktok_destination.delete_audience(seed_id)
    assert tiktok_destination.verify_deleted(seed_id).verified

    requests = tiktok_sandbox.requests()
    assert all(record["access_token_header"] for record in requests)
    where = {(record["method"], record["advertiser_id_in"]) for record in requests}
    assert where == {("GET", "query"), ("POST", "body"), ("POST", "form")}
    # Only the proof's last read answers an error: the deleted seed does not exist.
    assert [record["code"] for record in requests if record["code"] != 0] == [40007]
    files = tiktok_sandbox.uploads()["files"]
    assert [entry["attached_to"] for entry in files] == [[seed_id]] * 3


def test_the_seed_is_created_once_from_every_file_of_its_session(
    tiktok_destination: TikTokDestination, tiktok_sandbox: RunningTikTokSandbox
) -> None:
    people = hashes_of("files", 500)
    seed_id = seed_of(tiktok_destination, people, files=5)
    assert tiktok_sandbox.received(seed_id)["added"] == people
    seeds = [entry for entry in tiktok_sandbox.state() if entry["subtype"] == "CUSTOM"]
    assert [entry["id"] for entry in seeds] == [seed_id]


def test_the_customer_file_is_never_written_to_disk(
    tiktok_destination: TikTokDestination, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = tmp_path / "temporary-files"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    seed_of(tiktok_destination, hashes_of("memory", 200))
    assert list(spool.iterdir()) == []


def test_transient_faults_and_gateway_pages_are_retried_without_duplicates(
    tiktok_sandbox: RunningTikTokSandbox,
) -> None:
    tiktok_sandbox.set_faults(fault_rate=0.25, html_fault_rate=0.25)
    destination = TikTokDestination(sandbox_tiktok_config(tiktok_sandbox, max_attempts=12))
    people = hashes_of("faults", 400)
    seed_id = seed_of(destination, people, files=8)
    tiktok_sandbox.set_faults(fault_rate=0.0, html_fault_rate=0.0)

    codes = Counter(record["code"] for record in tiktok_sandbox.requests())
    assert set(codes) - {0, None} <= {50000, 50002}
    assert codes[None] or codes[50000] or codes[50002], "faults were injected"
    assert sorted(tiktok_sandbox.received(seed_id)["added"]) == sorted(people)
    assert sorted(tiktok_sandbox.uploads()["hashes"]) == sorted(people), "no file sent twice"


def test_a_rate_limit_is_waited_out(tiktok_sandbox: RunningTikTokSandbox) -> None:
    tiktok_sandbox.set_faults(rate_limit=2, rate_window_seconds=0.3)
    destination = TikTokDestination(
        sandbox_tiktok_config(tiktok_sandbox, max_attempts=20, backoff_seconds=0.05)
    )
    seed_id = seed_of(destination, hashes_of("rate", 300), files=4)
    codes = [record["code"] for record in tiktok_sandbox.requests()]
    assert 40100 in codes
    assert len(tiktok_sandbox.received(seed_id)["added"]) == 300


def test_an_expired_token_is_refused_at_once_and_never_retried(
    tiktok_destination: TikTokDestination, tiktok_sandbox: RunningTikTokSandbox
) -> None:
    tiktok_sandbox.replace_token("a-new-token")
    with pytest.raises(DestinationError) as raised:
        tiktok_destination.list_audiences()
    assert (raised.value.kind, raised.value.code) == (ErrorKind.AUTHENTICATION, 40102)
    assert len(tiktok_sandbox.requests()) == 1
    assert "test-tiktok-token" not in str(raised.value)


def test_another_advertiser_is_a_permission_error(tiktok_sandbox: RunningTikTokSandbox) -> None:
    destination = TikTokDestination(
        sandbox_tiktok_config(tiktok_sandbox, advertiser_id="7000000000000000999")
    )
    with pytest.raises(DestinationError) as raised:
        destination.list_audiences()
    assert (raised.value.kind, raised.value.code) == (ErrorKind.PERMISSION, 40001)


def test_removing_people_below_tiktoks_floor_is_a_removal_refusal(
    tiktok_destination: TikTokDestination,
) -> None:
    seed_id = seed_of(tiktok_destination, hashes_of("floor", 300))
    wait_for(
        lambda: tiktok_destination.match_status(seed_id), lambda s: s.state is MatchState.READY
    )
    with pytest.raises(DestinationError) as raised:
        tiktok_destination.remove_batch(seed_id, hashes_of("floor", 1))
    assert raised.value.kind is ErrorKind.REMOVAL_REFUSED
    assert "under 1 000 people" in str(raised.value)


def test_deletion_is_verified_by_list_and_get_and_the_answer_is_recorded(
    tiktok_destination: TikTokDestination, tiktok_sandbox: RunningTikTokSandbox
) -> None:
    seed_id = seed_of(tiktok_destination, hashes_of("proof", 300))
    wait_for(
        lambda: tiktok_destination.match_status(seed_id), lambda s: s.state is MatchState.READY
    )
    lookalike_id = tiktok_destination.create_lookalike(
        seed_id=seed_id, name="lookalike", country="FR", size=LookalikeSize(word="narrow")
    )
    before = tiktok_destination.verify_deleted(seed_id)
    assert not before.verified

    tiktok_destination.delete_audience(seed_id)  # allowed although a lookalike was built from it
    check = tiktok_destination.verify_deleted(seed_id)
    assert check.verified
    assert f"list filtered by id {seed_id}: no audience" in check.platform_answer
    assert "code 40007" in check.platform_answer
    lookalike = tiktok_sandbox.audience(lookalike_id)
    assert (lookalike["deleted"], lookalike["audience_size"]) == (False, "NARROW")
    assert lookalike["location_ids"] == ["3017382"]


def test_a_failed_audience_reports_failed(
    tiktok_destination: TikTokDestination, tiktok_sandbox: RunningTikTokSandbox
) -> None:
    seed_id = seed_of(tiktok_destination, hashes_of("failed", 300))
    tiktok_sandbox.fail_audience(seed_id, "the file could not be parsed")
    assert tiktok_destination.match_status(seed_id).state is MatchState.FAILED


def test_too_many_people_for_500_files_are_refused_before_any_upload(
    tiktok_destination: TikTokDestination, tiktok_sandbox: RunningTikTokSandbox
) -> None:
    with pytest.raises(DestinationError, match="at most 500 files"):
        tiktok_destination.start_session(estimated_total=500 * 50_000 + 1, seed_name="huge")
    assert tiktok_sandbox.requests() == []


def test_the_credential_identity_is_the_tokens_user(
    tiktok_destination: TikTokDestination,
) -> None:
    assert tiktok_destination.credential_identity() == "tiktok user 7100000000000000001"


def test_a_creation_whose_answer_was_lost_is_found_by_name_not_made_twice(
    tiktok_sandbox: RunningTikTokSandbox,
) -> None:
    destination = TikTokDestination(sandbox_tiktok_config(tiktok_sandbox, max_attempts=30))
    people = hashes_of("lost", 300)
    tiktok_sandbox.set_faults(lost_answer_rate=0.5)  # carried out, then a 504 page
    seeds = [seed_of(destination, people, files=3, name=f"seed {number}") for number in range(4)]
    for seed_id in seeds:
        wait_for(
            lambda seed_id=seed_id: destination.match_status(seed_id),
            lambda status: status.state is MatchState.READY,
        )
    lookalikes = [
        destination.create_lookalike(
            seed_id=seed_id,
            name=f"lookalike of {seed_id}",
            country="FR",
            size=LookalikeSize(word="broad"),
        )
        for seed_id in seeds
    ]
    tiktok_sandbox.set_faults(lost_answer_rate=0.0)

    lost = [record for record in tiktok_sandbox.requests() if record["status"] == 504]
    assert len(lost) >= 4, "answers were lost"
    named = Counter(entry["name"] for entry in tiktok_sandbox.state())
    assert set(named.values()) == {1}, "each creation happened once"
    assert len(named) == 8
    state = {entry["id"]: entry for entry in tiktok_sandbox.state()}
    assert [state[seed_id]["subtype"] for seed_id in seeds] == ["CUSTOM"] * 4
    assert [state[lookalike]["source_audience_id"] for lookalike in lookalikes] == seeds


def test_more_people_than_500_files_of_the_first_batch_hold_are_refused_before_it_is_sent(
    tiktok_destination: TikTokDestination, tiktok_sandbox: RunningTikTokSandbox
) -> None:
    session = tiktok_destination.start_session(estimated_total=5_000_001, seed_name="big")
    with pytest.raises(DestinationError, match="at most 500 files, and files of 10000 people"):
        tiktok_destination.upload_batch(
            None, hashes_of("big", 10_000), session=session, batch_seq=1, last_batch=False
        )
    assert tiktok_sandbox.uploads()["hashes"] == []
