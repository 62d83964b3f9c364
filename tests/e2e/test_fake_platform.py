"""A platform is one folder: the in-memory fake, registered like any other, runs a whole export.

Nothing outside ``audiences/fake/`` knows it: registering it is the one line
a new platform adds to ``audiences/registry.py`` (here done by the test, so
that the product's own lists name only real platforms).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from audiences.fake.client import fake_account
from audiences.fake.platform import FAKE
from audiences.ledger import AudienceState
from audiences.registry import PLATFORMS, register
from tests.fixtures.canary import scan_everything
from tests.fixtures.exports import build_world, configure_export, run_export, run_reconcile
from tests.fixtures.sandbox import RunningSandbox

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_server")]


@pytest.fixture
def fake_registered() -> Iterator[None]:
    register(FAKE)
    try:
        yield
    finally:
        PLATFORMS.pop(FAKE.name)


@pytest.mark.usefixtures("fake_registered")
def test_a_whole_export_to_the_fake_platform(
    sandbox: RunningSandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    settings = configure_export(
        monkeypatch,
        sandbox,
        tmp_path / "home",
        EXPORT_DESTINATION="fake",
        EXPORT_RATIO="0.05",
    )
    world = build_world(settings, rows=1_000, objectors=20)
    account = fake_account(FAKE.sandbox_account)
    account.knobs.transient_rate = 0.2
    account.knobs.seed = 7

    record = run_export()
    if not record.is_terminal:
        run_reconcile()

    assert record.destination == "fake"
    assert record.endpoint is not None
    assert record.endpoint.environment == "sandbox"
    assert record.seed_audience_id is not None
    tap = account.wiretap[record.seed_audience_id]
    assert sorted(tap["added"]) == sorted(world.expected), "each hash exactly once"
    assert record.state is AudienceState.SEED_DELETION_VERIFIED
    assert account.audiences[record.seed_audience_id].deleted
    captured = capfd.readouterr()
    assert scan_everything(settings, world.addresses, captured.out + captured.err) == []
