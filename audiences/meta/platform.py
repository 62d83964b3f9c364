"""Meta as a lookalike platform: the one description the registry holds (see ``RULES.md``)."""

from __future__ import annotations

import atexit

from audiences.destination import Destination
from audiences.meta.client import MAX_BATCH_SIZE, MetaDestination
from audiences.meta.config import MetaConfig, check_account, check_size
from audiences.meta.profile import META_EMAIL_PROFILE
from audiences.meta.sandbox.cli import sandbox
from audiences.meta.sandbox.server import SandboxOptions, SandboxServer
from audiences.platform import EmbeddedSandbox, Platform, SandboxKnobs

MIN_SEED_SIZE = 100
"""Meta needs at least 100 matched people from one country to build a lookalike."""
SANDBOX_AD_ACCOUNT = "1000000000000001"
LOOKALIKE_RATIOS = tuple(percent / 100 for percent in range(1, 21))
"""0.01 to 0.20 in steps of 0.01 (``RULES.md``, lookalike spec)."""


def audience_manager_url(account: str) -> str:
    """Ads Manager's audience list of ``account`` (``RULES.md``, Ads Manager links)."""
    return f"https://adsmanager.facebook.com/adsmanager/audiences?act={account}"


def _open(config: MetaConfig) -> Destination:
    return MetaDestination(config)


def _start_sandbox(knobs: SandboxKnobs) -> EmbeddedSandbox:
    server = SandboxServer(
        SandboxOptions(
            port=0,
            match_delay_seconds=knobs.match_delay_seconds,
            lookalike_delay_seconds=knobs.lookalike_delay_seconds,
            refuse_seed_delete_with_lookalikes=knobs.refuse_seed_delete_with_lookalikes,
            removal_floor=knobs.removal_floor,
            session_timeout_seconds=knobs.session_timeout_seconds,
        )
    )
    server.start()
    atexit.register(server.stop)
    return EmbeddedSandbox(server.url, server.access_token, server.stop)


META = Platform(
    name="meta",
    title="Meta",
    settings_model=MetaConfig,
    profile=META_EMAIL_PROFILE,
    max_batch_size=MAX_BATCH_SIZE,
    min_seed_size=MIN_SEED_SIZE,
    lookalike_sizes="a ratio of 0.01 to 0.20 of the country's population, in steps of 0.01",
    check_lookalike_size=check_size,
    check_account=check_account,
    show_account=lambda account: f"act_{account}",
    sandbox_account=SANDBOX_AD_ACCOUNT,
    open=_open,
    start_sandbox=_start_sandbox,
    sandbox_command=sandbox,
    lookalike_ratios=LOOKALIKE_RATIOS,
    audience_manager_url=audience_manager_url,
)
