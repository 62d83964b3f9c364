"""TikTok as a lookalike platform: the one description the registry holds (see ``RULES.md``)."""

from __future__ import annotations

import atexit

from audiences.destination import Destination
from audiences.platform import EmbeddedSandbox, Platform, SandboxKnobs
from audiences.tiktok.client import TikTokDestination
from audiences.tiktok.config import TikTokConfig, check_advertiser
from audiences.tiktok.lookalike import SIZE_WORDS, check_country, check_size
from audiences.tiktok.profile import TIKTOK_EMAIL_PROFILE
from audiences.tiktok.sandbox.cli import sandbox
from audiences.tiktok.sandbox.options import DEFAULT_ADVERTISER_ID, TikTokSandboxOptions
from audiences.tiktok.sandbox.server import TikTokSandboxServer

MIN_SEED_SIZE = 100
"""A lookalike's source audience needs at least 100 people (``RULES.md``, lookalikes)."""


def _open(config: TikTokConfig) -> Destination:
    return TikTokDestination(config)


def _start_sandbox(knobs: SandboxKnobs) -> EmbeddedSandbox:
    server = TikTokSandboxServer(
        TikTokSandboxOptions(
            port=0,
            match_delay_seconds=knobs.match_delay_seconds,
            lookalike_delay_seconds=knobs.lookalike_delay_seconds,
        )
    )
    server.start()
    atexit.register(server.stop)
    return EmbeddedSandbox(server.url, server.access_token, server.stop)


TIKTOK = Platform(
    name="tiktok",
    title="TikTok",
    settings_model=TikTokConfig,
    profile=TIKTOK_EMAIL_PROFILE,
    max_batch_size=TikTokConfig.model_fields["file_lines"].default,
    min_seed_size=MIN_SEED_SIZE,
    lookalike_sizes=f"a word: {', '.join(SIZE_WORDS)}",
    check_lookalike_size=check_size,
    check_account=check_advertiser,
    show_account=lambda account: f"advertiser {account}",
    sandbox_account=DEFAULT_ADVERTISER_ID,
    open=_open,
    start_sandbox=_start_sandbox,
    sandbox_command=sandbox,
    lookalike_words=SIZE_WORDS,
    check_country=check_country,
)
