"""Benchmark data: N accounts in a SQLite file and K objections in a register, made fast.

Shares follow the demo data (:mod:`pipelines.demo_data`) closely enough for
timing: 70 % eligible accounts; 3 % invalid, 5 % another spelling of an earlier
mailbox, 2 % non-ASCII, 30 % Gmail; mixed case, white space and ``mailto:``
spellings. Rows are drawn with ``numpy`` and written in chunks, so memory stays
flat and 5 million rows take seconds, not minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from objections.config import RegisterConfig
from objections.model import Channel, NewObjection
from objections.register import Register
from pipelines.demo_data import write_accounts
from pipelines.sources.locations import SqliteFile, parse_location
from pipelines.sources.sql import connect

CHUNK_ROWS = 200_000
PLATFORM = "meta"
_DOMAINS = np.array(["example.com", "example.fr", "example.org", "gmail.com", "googlemail.com"])
_DOMAIN_WEIGHTS = np.array([30, 25, 10, 30, 5]) / 100
_INVALID = ("", "   ", "no-at-sign{n}.example.com", "someone{n}@localhost", "someone{n}@example")


@dataclass(frozen=True)
class BenchData:
    """Where the generated accounts and register are."""

    folder: Path

    @property
    def accounts_url(self) -> str:
        return f"sqlite:///{self.folder / 'accounts.sqlite'}"

    @property
    def register_config(self) -> RegisterConfig:
        return RegisterConfig(
            url=f"sqlite:///{self.folder / 'register.sqlite'}",
            platforms=frozenset({PLATFORM}),
            key_file=self.folder / "keys.json",
        )

    @property
    def objectors_file(self) -> Path:
        """The objectors' addresses in plain text, for the naive script only."""
        return self.folder / "objectors.txt"


def mailbox(number: int, domain: str) -> str:
    """The mailbox of account ``number``."""
    return f"customer.{number}@{domain}"


def spelling(number: int, domain: str, draw: float) -> str | None:
    """How account ``number`` spelt its address, by a uniform ``draw`` in [0, 1)."""
    if draw < 0.03:
        template = _INVALID[number % len(_INVALID)]
        return template.format(n=number) if number % 7 else None
    if draw < 0.08:
        return f"  {mailbox(number // 2, domain).upper()} "
    if draw < 0.10:
        return f"été.{number}@exämple.fr"
    if draw < 0.16:
        return mailbox(number, domain).title()
    if draw < 0.20:
        return f"mailto:{mailbox(number, domain)}"
    return mailbox(number, domain)


def generate(data: BenchData, rows: int, objections: int, *, seed: int = 7) -> None:
    """Write ``rows`` accounts and a register of ``objections`` objectors to ``data.folder``."""
    rng = np.random.default_rng(seed)
    location = parse_location(data.accounts_url)
    assert isinstance(location, SqliteFile)
    for start in range(0, rows, CHUNK_ROWS):
        chunk = _chunk(rng, start, min(rows, start + CHUNK_ROWS))
        if start == 0:
            write_accounts(chunk, data.accounts_url)
            continue
        with connect(location, writable=True) as connection, connection.cursor() as cursor:
            cursor.adbc_ingest("accounts", chunk, mode="append")
    objectors = [
        mailbox(int(number), "example.com").upper()
        for number in rng.choice(rows, size=min(objections, rows), replace=False)
    ]
    data.objectors_file.write_text("\n".join(objectors), encoding="utf-8")
    with Register.init(data.register_config, create_keys=True) as register:
        register.add_many([NewObjection(a, Channel.EMAIL) for a in objectors], by="benchmark")


def _chunk(rng: np.random.Generator, start: int, stop: int) -> pa.Table:
    size = stop - start
    domains = rng.choice(_DOMAINS, size=size, p=_DOMAIN_WEIGHTS)
    draws = rng.random(size)
    kinds = rng.random(size)
    emails = [
        spelling(number, str(domain), float(draw))
        for number, domain, draw in zip(range(start, stop), domains, draws, strict=True)
    ]
    eligible = kinds < 0.70
    return pa.table(
        {
            "id": pa.array(np.arange(start + 1, stop + 1)),
            "email": pa.array(emails, pa.string()),
            "status": pa.array(np.where(eligible | (kinds > 0.96), "active", "closed")),
            "email_verified": pa.array(eligible | (kinds > 0.98)),
            "country": pa.array(np.full(size, "FR")),
            "created_at": pa.array(np.full(size, 0, dtype="datetime64[us]")).cast(
                pa.timestamp("us", tz="UTC")
            ),
            "deleted_at": pa.nulls(size, pa.timestamp("us", tz="UTC")),
        }
    )
