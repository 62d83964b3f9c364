"""``audience-export sandbox``: serve the Graph API sandbox until Ctrl-C (or SIGTERM).

The command line registers this function (see :class:`audiences.platform.Platform`).
"""

from __future__ import annotations

from typing import Annotated

import typer

from audiences.meta.config import GRAPH_API_VERSION
from audiences.meta.sandbox.options import (
    DEFAULT_ACCESS_TOKEN,
    DEFAULT_HOST,
    DEFAULT_MAX_URL_BYTES,
    DEFAULT_RATE_WINDOW_SECONDS,
    HTTP_SERVER_MAX_URL_BYTES,
    MIN_URL_BYTES,
    SandboxOptions,
)
from audiences.meta.sandbox.server import SandboxServer
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

DEFAULT_PORT = 8765


def sandbox(
    *,
    host: Host = DEFAULT_HOST,
    port: Port = DEFAULT_PORT,
    access_token: AccessToken = DEFAULT_ACCESS_TOKEN,
    app_secret: Annotated[
        str | None, typer.Option(help="Require appsecret_proof made with this app secret.")
    ] = None,
    match_delay: Annotated[
        float, typer.Option(min=0, help="Seconds a seed stays 'processing' after an upload.")
    ] = 1.0,
    lookalike_delay: LookalikeDelay = 1.0,
    latency_ms: LatencyMs = 0.0,
    fault_rate: Annotated[
        float, typer.Option(min=0, max=1, help="Share of Graph calls failing with code 2.")
    ] = 0.0,
    rate_limit: Annotated[
        int | None, typer.Option(min=1, help="Graph requests allowed per rate window.")
    ] = None,
    rate_window: RateWindow = DEFAULT_RATE_WINDOW_SECONDS,
    random_seed: RandomSeed = None,
    refuse_seed_delete_with_lookalikes: Annotated[
        bool,
        typer.Option(
            "--refuse-seed-delete-with-lookalikes",
            help="Refuse to delete a seed while a lookalike built from it exists (error 2656).",
            metavar="",
        ),
    ] = False,
    removal_floor: Annotated[
        int,
        typer.Option(
            min=0, help="Refuse removals leaving fewer members than this (200/1870047); 0: off."
        ),
    ] = 0,
    html_fault_rate: Annotated[
        float,
        typer.Option(min=0, max=1, help="Share of Graph calls answered by a 502/504 HTML page."),
    ] = 0.0,
    html_fault_200: Annotated[
        bool,
        typer.Option(
            "--html-fault-200", help="Send those HTML pages with status 200 instead.", metavar=""
        ),
    ] = False,
    session_timeout: Annotated[
        float | None,
        typer.Option(
            min=0.001, help="Seconds after its first batch that an unflagged upload session ends."
        ),
    ] = None,
    max_url_bytes: Annotated[
        int,
        typer.Option(
            min=MIN_URL_BYTES,
            max=HTTP_SERVER_MAX_URL_BYTES,
            help="Longest request line answered; longer ones get an HTML 414.",
        ),
    ] = DEFAULT_MAX_URL_BYTES,
) -> None:
    """Serve the Graph API sandbox (a local stand-in for Meta) until interrupted."""
    options = SandboxOptions(
        host=host,
        port=port,
        access_token=access_token,
        app_secret=app_secret,
        match_delay_seconds=match_delay,
        lookalike_delay_seconds=lookalike_delay,
        latency_ms=latency_ms,
        fault_rate=fault_rate,
        rate_limit=rate_limit,
        rate_window_seconds=rate_window,
        random_seed=random_seed,
        refuse_seed_delete_with_lookalikes=refuse_seed_delete_with_lookalikes,
        removal_floor=removal_floor,
        html_fault_rate=html_fault_rate,
        html_fault_200=html_fault_200,
        session_timeout_seconds=session_timeout,
        max_url_bytes=max_url_bytes,
    )

    def announce(server: SandboxHttpServer) -> None:
        typer.echo(f"Graph API sandbox listening on {server.url}/{GRAPH_API_VERSION}")
        typer.echo(f"access token: {access_token}")
        typer.echo(f"state: {server.url}/_sandbox/state — stop with Ctrl-C")

    try:
        serve_until_interrupted(SandboxServer(options), announce)
    except OSError as error:
        typer.echo(f"error: cannot listen on {host}:{port}: {error.strerror}", err=True)
        raise typer.Exit(code=2) from None
    typer.echo("sandbox stopped")
