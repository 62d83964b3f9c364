"""The fake platform, described like any other (tests register it; see ARCHITECTURE.md)."""

from __future__ import annotations

from audiences.destination import Destination, LookalikeSize
from audiences.fake.client import FAKE_PROFILE, MAX_BATCH_SIZE, FakeDestination
from audiences.fake.config import FakeConfig
from audiences.platform import EmbeddedSandbox, Platform, SandboxKnobs

SANDBOX_URL = "http://localhost/fake-platform-in-memory"


def _open(config: FakeConfig) -> Destination:
    return FakeDestination(config.ad_account or "1")


def _start_sandbox(knobs: SandboxKnobs) -> EmbeddedSandbox:
    return EmbeddedSandbox(SANDBOX_URL, "fake-token", lambda: None)


def _check_account(value: str) -> str:
    if not value.isdigit():
        raise ValueError(f"a fake ad account is digits (got {value!r})")
    return value


def _check_size(asked: LookalikeSize, default: LookalikeSize) -> LookalikeSize:
    ratio = asked.ratio if asked.ratio is not None else default.ratio
    if asked.word is not None or ratio is None or not 0 < ratio <= 1:
        raise ValueError(f"a fake lookalike size is a ratio between 0 and 1 (got {asked!r})")
    return LookalikeSize(ratio=ratio)


def _no_command() -> None:
    """The fake platform lives in memory: there is nothing to serve."""


FAKE = Platform(
    name="fake",
    title="Fake platform",
    settings_model=FakeConfig,
    profile=FAKE_PROFILE,
    max_batch_size=MAX_BATCH_SIZE,
    min_seed_size=1,
    lookalike_sizes="any share above 0 and up to 1",
    check_lookalike_size=_check_size,
    check_account=_check_account,
    show_account=lambda account: f"fake account {account}",
    sandbox_account="1",
    open=_open,
    start_sandbox=_start_sandbox,
    sandbox_command=_no_command,
)
