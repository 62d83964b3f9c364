"""The command-line flags every platform's ``sandbox`` command shares, declared once."""

from __future__ import annotations

from typing import Annotated

import typer

Host = Annotated[str, typer.Option(help="Address to listen on.")]
Port = Annotated[int, typer.Option(min=0, max=65535, help="Port (0: any free port).")]
AccessToken = Annotated[str, typer.Option(help="The one access token the sandbox accepts.")]
LookalikeDelay = Annotated[
    float, typer.Option(min=0, help="Seconds a lookalike takes to populate.")
]
LatencyMs = Annotated[float, typer.Option(min=0, help="Milliseconds added to every API answer.")]
RateWindow = Annotated[
    float, typer.Option(min=0.001, help="Length of the rate limit's rolling window, seconds.")
]
RandomSeed = Annotated[
    int | None, typer.Option(help="Seed of the fault injector, to replay a run.")
]
