"""Generate the data once, run every contestant in its own process, and report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.benchmark.contestants import CONTESTANTS, HASHES_PER_ROW
from pipelines.benchmark.data import BenchData, generate

TIMED = ("ours", "naive", "sdk_only")


@dataclass(frozen=True)
class Report:
    """One benchmark run, in the JSON shape of issue 16."""

    rows: int
    results: dict[str, dict[str, Any]]
    load_average: float
    """The machine's 1-minute load average before the first contestant: others' work skews times."""

    def as_json(self) -> dict[str, Any]:
        shaped: dict[str, Any] = {"rows": self.rows, "load_average": self.load_average}
        for name in TIMED:
            result = self.results[name]
            shaped[name] = {
                "rows_per_s": self.rows / result["timed_seconds"],
                "peak_rss_mb": result["peak_rss_mb"],
            }
        ceiling = self.results["ceiling"]
        shaped["ceiling"] = {
            "hashes_per_s_per_core": ceiling["hashes_per_s_per_core"],
            "cores": ceiling["cores"],
            "rows_per_s": self.ceiling_rows_per_s,
        }
        return shaped

    @property
    def ceiling_rows_per_s(self) -> float:
        """Table rows per second if only ours' SHA-256 work counted, on every core."""
        ceiling = self.results["ceiling"]
        eligible = int(self.results["ours"]["eligible"])
        hashes = float(ceiling["hashes_per_s_per_core"] * ceiling["cores"])
        return hashes / (HASHES_PER_ROW * max(eligible, 1) / self.rows)

    def table(self) -> str:
        """The printed table: rows/s, peak RSS and ours' ratios."""
        shaped = self.as_json()
        ours = shaped["ours"]["rows_per_s"]
        lines = [
            f"rows in the table: {self.rows:,}; load average before: {self.load_average:.2f}",
            f"{'':10}{'rows/s':>12}{'peak RSS MB':>13}",
        ]
        for name in TIMED:
            lines.append(
                f"{name:10}{shaped[name]['rows_per_s']:>12,.0f}{shaped[name]['peak_rss_mb']:>13,.0f}"
            )
        lines.append(f"{'ceiling':10}{self.ceiling_rows_per_s:>12,.0f}")
        lines.append(
            f"ours/naive {ours / shaped['naive']['rows_per_s']:.2f}  "
            f"ours/sdk_only {ours / shaped['sdk_only']['rows_per_s']:.2f}  "
            f"ours/ceiling {ours / self.ceiling_rows_per_s:.3f}"
        )
        return "\n".join(lines)


def run_contestant(name: str, folder: Path) -> dict[str, Any]:
    """One contestant in a fresh Python process; what it printed."""
    finished = subprocess.run(  # noqa: S603 - this interpreter, our module, fixed arguments
        [sys.executable, "-m", "pipelines.benchmark.contestants", name, str(folder)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(finished.stdout.strip().splitlines()[-1])
    return result


def bench(rows: int, register: int, folder: Path | None = None) -> Report:
    """Generate ``rows`` accounts and ``register`` objections, then run every contestant."""
    with tempfile.TemporaryDirectory(prefix="audience-export-bench-") as scratch:
        data = BenchData(folder or Path(scratch))
        data.folder.mkdir(parents=True, exist_ok=True)
        generate(data, rows, register)
        os.sync()  # the files' write-back must not slow the first contestant down
        load = os.getloadavg()[0]
        return Report(rows, {name: run_contestant(name, data.folder) for name in CONTESTANTS}, load)
