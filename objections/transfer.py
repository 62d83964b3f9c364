"""CSV in and out: the officer's import (line by line, errors named) and decrypted export."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TextIO

from objections.canonical import InvalidAddress, canonical_key
from objections.errors import RegisterError
from objections.model import Channel, NewObjection, Objection, Scope, parse_time

EXPORT_COLUMNS = (
    "id",
    "address",
    "received_at",
    "channel",
    "scope",
    "status",
    "evidence",
    "note",
    "reviewer",
    "reviewed_at",
)
"""A superset of the import columns, so that an export can be imported elsewhere."""


@dataclass(frozen=True)
class LineError:
    """Why one line of an import was not recorded. ``address`` is shown to the officer only."""

    line: int
    address: str = field(repr=False)
    reason: str


@dataclass(frozen=True)
class ParsedImport:
    entries: list[NewObjection]
    errors: list[LineError]


def read_import(stream: TextIO) -> ParsedImport:
    """Every line of a CSV file with a header row; valid lines become entries, others errors."""
    reader = csv.DictReader(stream)
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in ("address", "channel") if name not in header]
    if missing:
        raise RegisterError(f"the header row lacks the column(s): {', '.join(missing)}")
    reader.fieldnames = header
    entries: list[NewObjection] = []
    errors: list[LineError] = []
    for row in reader:
        address = (row.get("address") or "").strip()
        try:
            entries.append(_entry(row, address))
        except (InvalidAddress, ValueError) as error:
            errors.append(LineError(reader.line_num, address, str(error)))
    return ParsedImport(entries, errors)


def _entry(row: dict[str, str | None], address: str) -> NewObjection:
    canonical_key(address)  # raises InvalidAddress naming the problem
    channel_text = (row.get("channel") or "").strip().lower()
    try:
        channel = Channel(channel_text)
    except ValueError:
        choices = ", ".join(channel.value for channel in Channel)
        raise ValueError(f"unknown channel {channel_text!r} (one of {choices})") from None
    received = (row.get("received_at") or "").strip()
    return NewObjection(
        address=address,
        channel=channel,
        received_at=received_time(received) if received else None,
        evidence=(row.get("evidence") or "").strip() or None,
        note=(row.get("note") or "").strip() or None,
        scope=Scope.parse(row.get("scope") or ""),
    )


def received_time(text: str) -> datetime:
    """When an objection arrived: an ISO time, UTC unless it says otherwise, not in the future."""
    value = parse_time(text)
    if value > datetime.now(UTC):
        raise ValueError(f"received_at {text!r} is in the future")
    return value


def export_row(item: Objection) -> dict[str, str]:
    """One objection as text columns (:data:`EXPORT_COLUMNS`); the address only if decrypted."""
    return {
        "id": str(item.id),
        "address": item.address or "",
        "received_at": item.received_at.isoformat(),
        "channel": item.channel.value,
        "scope": str(item.scope),
        "status": item.status.value,
        "evidence": item.evidence or "",
        "note": item.notes or "",
        "reviewer": item.reviewer or "",
        "reviewed_at": item.reviewed_at.isoformat() if item.reviewed_at else "",
    }


def write_csv(objections: Iterable[Objection], stream: TextIO) -> int:
    """Write objections as CSV with a header row; the number of rows written."""
    writer = csv.DictWriter(stream, fieldnames=EXPORT_COLUMNS)
    writer.writeheader()
    count = 0
    for item in objections:
        writer.writerow(export_row(item))
        count += 1
    return count
