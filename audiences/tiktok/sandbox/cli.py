"""``audience-export sandbox --platform tiktok``: serve the TikTok sandbox until interrupted.

The command line registers this function (see :class:`audiences.platform.Platform`).
"""

from __future__ import annotations

from typing import Annotated

import typer

from audiences.sandbox_flags import (
    AccessToken,
    Host,
    LatencyMs,
    LookalikeDelay,
    Port,
    RandomSeed,
    RateWindow,
)
from audiences.sandbox_http import SandboxHttpServer, serve_until_interrupted
from audiences.tiktok.sandbox.options import (
    DEFAULT_ACCESS_TOKEN,
    DEFAULT_ADVERTISER_ID,
    DEFAULT_HOST,
    DEFAULT_MIN_UPDATE_SIZE,
    DEFAULT_RATE_WINDOW_SECONDS,
    TikTokSandboxOptions,
)
from audiences.tiktok.sandbox.routes import API_PREFIX
from audiences.tiktok.sandbox.server import TikTokSandboxServer

DEFAULT_PORT = 8766


def sandbox(
    *,
    host: Host = DEFAULT_HOST,
    port: Port = DEFAULT_PORT,
    access_token: AccessToken = DEFAULT_ACCESS_TOKEN,
    advertiser_id: Annotated[
        str, typer.Option(help="The one advertiser id the token may act for (digits).")
    ] = DEFAULT_ADVERTISER_ID,
    match_delay: Annotated[
        float, typer.Option(min=0, help="Seconds an audience stays invalid after create/update.")
    ] = 1.0,
    lookalike_delay: LookalikeDelay = 1.0,
    latency_ms: LatencyMs = 0.0,
    fault_rate: Annotated[
        float, typer.Option(min=0, max=1, help="Share of API calls failing with 50000/50002.")
    ] = 0.0,
    html_fault_rate: Annotated[
        float, typer.Option(min=0, max=1, help="Share of API calls answered by a 504 HTML page.")
    ] = 0.0,
    lost_answer_rate: Annotated[
        float,
        typer.Option(
            min=0, max=1, help="Share of API calls carried out whose answer is lost (a 504 page)."
        ),
    ] = 0.0,
    rate_limit: Annotated[
        int | None, typer.Option(min=1, help="API requests allowed per rate window (40100).")
    ] = None,
    rate_window: RateWindow = DEFAULT_RATE_WINDOW_SECONDS,
    random_seed: RandomSeed = None,
    min_update_size: Annotated[
        int, typer.Option(min=0, help="Refuse updates leaving fewer hashes than this (40002).")
    ] = DEFAULT_MIN_UPDATE_SIZE,
) -> None:
    """Serve the TikTok Business API sandbox (a local stand-in for TikTok) until interrupted."""
    try:
        options = TikTokSandboxOptions(
            host=host,
            port=port,
            access_token=access_token,
            advertiser_id=advertiser_id,
            match_delay_seconds=match_delay,
            lookalike_delay_seconds=lookalike_delay,
            latency_ms=latency_ms,
            fault_rate=fault_rate,
            html_fault_rate=html_fault_rate,
            lost_answer_rate=lost_answer_rate,
            rate_limit=rate_limit,
            rate_window_seconds=rate_window,
            random_seed=random_seed,
            min_update_size=min_update_size,
        )
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None

    def announce(server: SandboxHttpServer) -> None:
        typer.echo(f"TikTok Business API sandbox listening on {server.url}{API_PREFIX}")
        typer.echo(f"access token: {access_token}")
        typer.echo(f"advertiser id: {advertiser_id}")
        typer.echo(f"state: {server.url}/_sandbox/state — stop with Ctrl-C")

    try:
        serve_until_interrupted(TikTokSandboxServer(options), announce)
    except OSError as error:
        typer.echo(f"error: cannot listen on {host}:{port}: {error.strerror}", err=True)
        raise typer.Exit(code=2) from None
    typer.echo("sandbox stopped")
