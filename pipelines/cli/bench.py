"""``audience-export bench``: the preparation stage against the naive script and the SDK."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from pipelines.benchmark.run import bench as run_bench
from pipelines.cli.app import app


@app.command("bench")
def bench(
    *,
    rows: Annotated[int, typer.Option(min=1, help="Demo accounts to generate.")] = 1_000_000,
    register: Annotated[
        int, typer.Option(min=0, help="Objections in the generated register.")
    ] = 100_000,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Also write the results to this JSON file.")
    ] = None,
) -> None:
    """Time ours, the naive script, the SDK alone and the SHA-256 ceiling, each alone."""
    report = run_bench(rows, register)
    typer.echo(report.table())
    if json_path is not None:
        json_path.write_text(json.dumps(report.as_json(), indent=2) + "\n", encoding="utf-8")
