"""Preparation throughput, measured in one run: the pipeline against the naive script.

    .venv/bin/python -m tests.benchmarks.bench_prepare --rows 1000000

The naive script is what one would write first: pandas reads the addresses and
the SDK's ``CustomAudience.format_params`` normalises and hashes them, with no
validation, no objection register and no deduplication. The pipeline's
``Preparer`` does all of those (canonical key, blind-index HMAC and suppression
included) on Arrow batches. Both run on the same machine, in the same process,
one after the other, so their ratio is what to compare; the absolute figures
depend on the machine. Both timings include generating the addresses. Memory
is the peak of Arrow's allocator and of Python's (``tracemalloc``, in a second
pass) while the pipeline streams.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
from facebook_business.adobjects.customaudience import CustomAudience

from audiences.meta.profile import META_EMAIL_PROFILE
from objections.config import RegisterConfig
from objections.model import Channel, NewObjection
from objections.register import Register
from pipelines.prepare import PreparationCounts, Preparer, SuppressionGate

BATCH_ROWS = 50_000


def address(number: int) -> str:
    """A synthetic address; every 7th mixed case, every 11th padded, every 13th a gmail +tag."""
    local = f"customer.{number}"
    if number % 13 == 0:
        return f"{local}+news@gmail.com"
    text = f"{local}@example{number % 5}.com"
    if number % 7 == 0:
        text = text.title()
    return f"  {text} " if number % 11 == 0 else text


def batches(rows: int) -> Iterator[pa.RecordBatch]:
    """The addresses as Arrow batches, generated as they are read."""
    for start in range(0, rows, BATCH_ROWS):
        numbers = range(start, min(start + BATCH_ROWS, rows))
        yield pa.record_batch({"email": pa.array([address(n) for n in numbers], pa.string())})


def naive(rows: int) -> float:
    """Seconds for pandas + the SDK's normaliser and hasher over every address."""
    frames = (batch.to_pandas() for batch in batches(rows))
    started = time.perf_counter()
    for frame in frames:
        emails = pd.Series(frame["email"]).tolist()
        CustomAudience.format_params(CustomAudience.Schema.email_hash, emails)
    return time.perf_counter() - started


def pipeline(rows: int, register: Register) -> tuple[float, PreparationCounts, int]:
    """Seconds for the Preparer, its counts, and the peak of Arrow's allocator."""
    counts = PreparationCounts()
    gate = SuppressionGate(register, "meta", counts)
    preparer = Preparer(profile=META_EMAIL_PROFILE, gate=gate, batch_size=10_000, counts=counts)
    peak_arrow = 0
    started = time.perf_counter()
    for _batch in preparer.batches(batches(rows)):
        peak_arrow = max(peak_arrow, pa.total_allocated_bytes())
    return time.perf_counter() - started, counts, peak_arrow


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--objectors", type=int, default=10_000)
    arguments = parser.parse_args()
    rows, objectors = arguments.rows, arguments.objectors

    with tempfile.TemporaryDirectory() as folder:
        config = RegisterConfig(
            url=f"sqlite:///{Path(folder) / 'register.sqlite'}",
            platforms=frozenset({"meta"}),
            key_file=Path(folder) / "keys.json",
        )
        with Register.init(config, create_keys=True) as register:
            register.add_many(
                [NewObjection(address(n * 97).upper(), Channel.EMAIL) for n in range(objectors)],
                by="benchmark",
            )
            naive_seconds = naive(rows)
            pipeline_seconds, counts, peak_arrow = pipeline(rows, register)
            # A second pass for memory: tracing slows Python down several times.
            tracemalloc.start()
            pipeline(rows, register)
            _, peak_python = tracemalloc.get_traced_memory()
            tracemalloc.stop()

    print(f"rows: {rows:,}; objections in the register: {objectors:,}")
    print(f"naive pandas + SDK hashing: {rows / naive_seconds:>12,.0f} rows/s")
    print(f"pipeline Preparer:          {rows / pipeline_seconds:>12,.0f} rows/s")
    print(f"ratio pipeline / naive:     {naive_seconds / pipeline_seconds:>12.2f}")
    print(
        f"suppressed {counts.suppressed:,}, duplicates {counts.duplicates:,}, "
        f"prepared {counts.prepared:,}"
    )
    print(
        f"peak Arrow memory {peak_arrow / 2**20:.1f} MiB; "
        f"peak Python memory {peak_python / 2**20:.1f} MiB (traced)"
    )


if __name__ == "__main__":
    main()
