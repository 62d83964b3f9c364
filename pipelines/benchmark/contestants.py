"""The four contestants of the benchmark; each runs alone in a child process.

Each imports only what it uses, so that its peak memory is its own.

``python -m pipelines.benchmark.contestants NAME FOLDER`` prints one JSON line:
seconds, the rows of the table, and the child's peak resident memory.
"""

from __future__ import annotations

import json
import os
import resource
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa

from audiences.identity import sha256_digests
from audiences.meta.profile import META_EMAIL_PROFILE
from objections.register import Register
from pipelines.benchmark.data import PLATFORM, BenchData
from pipelines.prepare import PreparationCounts, Preparer, SuppressionGate
from pipelines.sources import DEFAULT_QUERY, open_source
from pipelines.upload import flagged_batches

SOURCE_BATCH_ROWS = 50_000
UPLOAD_BATCH_ROWS = 10_000
CEILING_ROWS = 2_000_000
HASHES_PER_ROW = 3
"""SHA-256 compressions ours computes per eligible row: Meta's hash (one block for an
address of at most 55 bytes) and the HMAC's inner and outer hashes (its key pads are
hashed once)."""


def ours(data: BenchData) -> dict[str, float]:
    """The real local stage, from the SQLite file to the upload payloads (no network)."""
    counts = PreparationCounts()
    with Register.open(data.register_config) as register:
        gate = SuppressionGate(register, PLATFORM, counts)
        preparer = Preparer(
            profile=META_EMAIL_PROFILE, gate=gate, batch_size=UPLOAD_BATCH_ROWS, counts=counts
        )
        with open_source(data.accounts_url, query=None, batch_rows=SOURCE_BATCH_ROWS) as source:
            batches = preparer.batches(source.batches())
            sent = 0
            for batch, _last in flagged_batches(batches, gate, UPLOAD_BATCH_ROWS):
                payload = {"schema": META_EMAIL_PROFILE.schema, "data": batch.hashes}
                sent += len(payload["data"])
    return {"prepared": sent, "eligible": counts.eligible}


def naive(data: BenchData) -> dict[str, float]:
    """The obvious script: read everything with pandas, merge away objectors, hash with the SDK."""
    import pandas as pd  # noqa: PLC0415 - only this contestant pays for pandas
    from facebook_business.adobjects.customaudience import CustomAudience  # noqa: PLC0415

    path = data.folder / "accounts.sqlite"
    with sqlite3.connect(path) as connection:
        table = pd.read_sql("SELECT * FROM accounts", connection)
    eligible = table[
        (table["status"] == "active") & (table["email_verified"] == 1) & table["deleted_at"].isna()
    ]
    emails = eligible["email"].dropna().str.strip().str.lower()
    objectors = pd.Series(data.objectors_file.read_text(encoding="utf-8").split("\n"))
    register = pd.DataFrame({"email": objectors.str.strip().str.lower(), "objected": True})
    merged = pd.DataFrame({"email": emails}).merge(register, on="email", how="left")
    kept = merged.loc[merged["objected"].isna(), "email"].drop_duplicates().tolist()
    for start in range(0, len(kept), UPLOAD_BATCH_ROWS):
        CustomAudience.format_params(
            CustomAudience.Schema.email_hash, kept[start : start + UPLOAD_BATCH_ROWS]
        )
    return {"prepared": len(kept)}


def sdk_only(data: BenchData) -> dict[str, float]:
    """``format_params`` over the eligible addresses, read into memory before the clock starts."""
    from facebook_business.adobjects.customaudience import CustomAudience  # noqa: PLC0415

    with open_source(data.accounts_url, query=DEFAULT_QUERY, batch_rows=SOURCE_BATCH_ROWS) as src:
        emails = [e for b in src.batches() for e in b.column("email").to_pylist() if e]
    started = time.perf_counter()
    for start in range(0, len(emails), UPLOAD_BATCH_ROWS):
        CustomAudience.format_params(
            CustomAudience.Schema.email_hash, emails[start : start + UPLOAD_BATCH_ROWS]
        )
    return {"timed_seconds": time.perf_counter() - started}


def ceiling(data: BenchData) -> dict[str, float]:
    """SHA-256 of 32-byte inputs (one 64-byte block each) on one core, through the same
    OpenSSL loop ours uses (:func:`audiences.identity.sha256_digests`)."""
    inputs = pa.array(["0" * 32] * CEILING_ROWS, pa.string())
    started = time.perf_counter()
    sha256_digests(inputs)
    seconds = time.perf_counter() - started
    return {"hashes_per_s_per_core": CEILING_ROWS / seconds, "cores": os.cpu_count() or 1}


def peak_rss_mb() -> float:
    """This process's peak resident memory since it started (``VmHWM``; ``ru_maxrss``
    would include the parent's peak, inherited through ``fork``)."""
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


CONTESTANTS: dict[str, Callable[[BenchData], dict[str, float]]] = {
    "ours": ours,
    "naive": naive,
    "sdk_only": sdk_only,
    "ceiling": ceiling,
}


def main() -> None:
    """Run one contestant and print what it measured as JSON."""
    name, folder = sys.argv[1], Path(sys.argv[2])
    started = time.perf_counter()
    result = CONTESTANTS[name](BenchData(folder))
    result.setdefault("timed_seconds", time.perf_counter() - started)
    result["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
