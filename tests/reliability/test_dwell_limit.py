"""Privacy wins over marketing: a seed past its maximum age is deleted, ready or not."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from audiences.destination import LookalikeSize
from audiences.ledger import AudienceState, Ledger
from audiences.meta.client import MetaDestination
from tests.audiences.helpers import hashes_of
from tests.fixtures.exports import (
    DemoWorld,
    configure_export,
    latest_export,
    plan_bound_export,
    run_export,
    run_reconcile,
)
from tests.fixtures.sandbox import RunningSandbox
from tests.reliability.scenarios import small_world

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_server")]

MAX_SEED_AGE_SECONDS = 4
"""Longer than the run needs to upload, short enough to wait out (the ledger
keeps whole seconds)."""
NEVER = 3600.0
"""A platform delay no test waits for."""


@pytest.fixture
def world(sandbox: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DemoWorld:
    """The small demo world; the run waits only briefly for the platform."""
    settings = configure_export(
        monkeypatch, sandbox, tmp_path / "home", EXPORT_WAIT_FOR_MATCH_SECONDS="0.3"
    )
    return small_world(settings)


@pytest.mark.parametrize(
    ("stuck", "state_left", "words", "lookalikes"),
    [
        pytest.param(
            "lookalike_delay_seconds",
            AudienceState.LOOKALIKE_REQUESTED,
            "waiting for the lookalike",
            1,
            id="lookalike-never-ready",
        ),
        pytest.param(
            "match_delay_seconds",
            AudienceState.UPLOADED,
            "waiting for matching",
            0,
            id="never-matched",
        ),
    ],
)
def test_seed_past_its_maximum_age_is_deleted_though_the_platform_is_not_ready(
    world: DemoWorld,
    sandbox: RunningSandbox,
    stuck: str,
    state_left: AudienceState,
    words: str,
    lookalikes: int,
) -> None:
    sandbox.set_delays(**{stuck: NEVER})

    left = run_export(country="FR", ratio=0.02, max_seed_age_hours=MAX_SEED_AGE_SECONDS / 3600)

    assert left.state is state_left, "the run should have left the export to the reconciler"
    assert left.seed_audience_id is not None
    assert not sandbox.audience(left.seed_audience_id)["deleted"]
    expires_at = left.seed_expires_at
    assert expires_at is not None
    time.sleep(max(0.0, (expires_at - datetime.now(UTC)).total_seconds()) + 0.1)

    assert run_reconcile() == {"unfinished": 0, "finished": 1}

    record = latest_export(world.settings)
    assert record.state is AudienceState.SEED_DELETION_VERIFIED
    assert record.seed_deleted_at is not None
    assert record.seed_deleted_at > expires_at
    assert record.failure_reason is not None
    assert f"maximum age of {MAX_SEED_AGE_SECONDS} seconds" in record.failure_reason
    assert words in record.failure_reason
    assert sandbox.audience(left.seed_audience_id)["deleted"]
    # A lookalike requested in time outlives its seed, still populating.
    assert [
        (audience["deleted"], audience["state"])
        for audience in sandbox.state()
        if audience["subtype"] == "LOOKALIKE"
    ] == [(False, 441)] * lookalikes


def test_seed_of_an_upload_that_stopped_is_deleted_at_its_maximum_age(
    world: DemoWorld, sandbox: RunningSandbox, meta_destination: MetaDestination
) -> None:
    # An export whose upload outlives its seed's maximum age.
    with Ledger.open(world.settings.ledger_url) as ledger:
        planned = plan_bound_export(
            ledger,
            world.settings,
            sandbox,
            size=LookalikeSize(ratio=0.02),
            max_seed_age=timedelta(seconds=1),
        )
        seed_id = meta_destination.create_seed(name=planned.seed_name, description="")
        ledger.record(planned.export_id, AudienceState.CREATED, seed_audience_id=seed_id)
        session = meta_destination.start_session(estimated_total=400)
        meta_destination.upload_batch(
            seed_id, hashes_of("crashed", 200), session=session, batch_seq=1, last_batch=False
        )
        crashed = ledger.record(
            planned.export_id,
            AudienceState.UPLOADING,
            upload_session_id=session.session_id,
            counts={"uploaded": 200},
        )
    assert crashed.seed_expires_at is not None
    time.sleep(max(0.0, (crashed.seed_expires_at - datetime.now(UTC)).total_seconds()) + 0.1)

    assert run_reconcile() == {"unfinished": 0, "finished": 1}

    record = latest_export(world.settings)
    assert record.state is AudienceState.SEED_DELETION_VERIFIED
    assert record.failure_reason is not None
    assert "maximum age of 1 second while uploading" in record.failure_reason
    assert sandbox.audience(seed_id)["deleted"]
