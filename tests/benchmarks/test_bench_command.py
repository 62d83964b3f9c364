"""``audience-export bench`` runs end to end on a small table (a smoke run, never timed)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from pipelines.cli import app


def test_bench_prints_the_table_and_writes_the_json_of_the_issue(tmp_path: Path) -> None:
    target = tmp_path / "bench.json"
    result = CliRunner().invoke(
        app, ["bench", "--rows", "3000", "--register", "200", "--json", str(target)]
    )
    assert result.exit_code == 0, result.output
    assert "ours/naive" in result.output
    assert "ours/sdk_only" in result.output
    report = json.loads(target.read_text())
    assert report["rows"] == 3000
    for name in ("ours", "naive", "sdk_only"):
        assert report[name]["rows_per_s"] > 0
        assert 20 < report[name]["peak_rss_mb"] < 2000
    assert report["ceiling"]["hashes_per_s_per_core"] > 100_000
    assert report["ceiling"]["cores"] >= 1
