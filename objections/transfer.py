"""CSV in and out: the officer's import (line by line, errors named) and decrypted export."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, BinaryIO, TextIO

from objections.canonical import InvalidAddress, canonical_key
from objections.errors import RegisterError
from objections.journal import Deed, write
from objections.model import Channel, NewObjection, Objection, Scope, parse_time

if TYPE_CHECKING:
    from objections.register import Register

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


FIELD_LIMIT = 131_072
"""The longest line an import reads, in characters (Python's csv field limit); longer is refused."""
_LINE_BYTES = 4 * FIELD_LIMIT + 2
"""A line of FIELD_LIMIT characters holds at most this many bytes (UTF-8), end of line included."""


@dataclass(frozen=True)
class LineError:
    """Why one line of an import was not recorded. ``address`` is shown to the officer only."""

    line: int
    address: str | None = field(repr=False)
    """The address as given; None when the line could not be read into columns."""
    reason: str


@dataclass(frozen=True)
class ParsedImport:
    entries: list[NewObjection]
    errors: list[LineError]


@dataclass(frozen=True)
class _Line:
    """One physical line: its text, or why it cannot be read."""

    number: int
    text: str
    problem: str | None = None


@dataclass(frozen=True)
class _Record:
    """One CSV record and the lines it was read from: its fields, or why it has none."""

    lines: tuple[_Line, ...]
    fields: list[str] | None
    problem: str = ""

    @property
    def line(self) -> int:
        return self.lines[0].number


def read_import(stream: BinaryIO, platforms: frozenset[str]) -> ParsedImport:
    """Every record of a CSV file (UTF-8, header row); valid ones become entries, others errors.

    No line can stop the import: a line that is too long, not UTF-8, not CSV
    or has the wrong number of columns is an error of its own, and every valid
    line around it is read. A quoted field may span lines; if the record they
    make is not valid, each of its lines is read on its own, so that a stray
    quote cannot swallow the lines after it.
    """
    records = _records(stream)
    first = next(records, None)
    if first is None:
        raise RegisterError("the file is empty: a header row is needed")
    if first.fields is None:
        raise RegisterError(f"the header row {first.problem}")
    header = [name.strip().lower() for name in first.fields]
    missing = [name for name in ("address", "channel") if name not in header]
    if missing:
        raise RegisterError(f"the header row lacks the column(s): {', '.join(missing)}")
    result = ParsedImport([], [])
    for record in records:
        outcome = _outcome(record, header, platforms)
        if isinstance(outcome, LineError) and len(record.lines) > 1:
            outcomes = [_outcome(_parsed([line]), header, platforms) for line in record.lines]
        else:
            outcomes = [outcome]
        for each in outcomes:
            if isinstance(each, LineError):
                result.errors.append(each)
            else:
                result.entries.append(each)
    return result


def _outcome(
    record: _Record, header: list[str], platforms: frozenset[str]
) -> NewObjection | LineError:
    if record.fields is None:
        return LineError(record.line, None, record.problem)
    if len(record.fields) != len(header):
        reason = f"{len(record.fields)} columns where the header has {len(header)}"
        return LineError(record.line, None, reason)
    row = dict(zip(header, record.fields, strict=True))
    address = row["address"].strip()
    try:
        return _entry(row, address, platforms)
    except (InvalidAddress, ValueError) as error:
        return LineError(record.line, address, str(error))


def _records(stream: BinaryIO) -> Iterator[_Record]:
    """The CSV records of ``stream`` in file order, blank lines skipped.

    Lines are joined while a quoted field is open (an odd number of quotes so
    far), up to :data:`FIELD_LIMIT` characters.
    """
    pending: list[_Line] = []
    for line in _lines(stream):
        if line.problem is not None:
            if pending:
                yield _parsed(pending)
                pending = []
            yield _Record((line,), None, line.problem)
            continue
        if not pending and not line.text.strip():
            continue
        pending.append(line)
        text = "".join(part.text for part in pending)
        if text.count('"') % 2 == 0 or len(text) > FIELD_LIMIT:
            yield _parsed(pending)
            pending = []
    if pending:
        yield _parsed(pending)


def _parsed(lines: list[_Line]) -> _Record:
    try:
        rows = list(csv.reader(["".join(line.text for line in lines)]))
    except csv.Error:
        rows = []
    if len(rows) != 1:
        return _Record(
            tuple(lines), None, "is not valid CSV (a quote or a line break out of place)"
        )
    return _Record(tuple(lines), rows[0])


def _lines(stream: BinaryIO) -> Iterator[_Line]:
    """Physical lines, decoded one by one; reading never holds more than one line's bytes."""
    number = 0
    while chunk := stream.readline(_LINE_BYTES):
        number += 1
        if not chunk.endswith(b"\n") and len(chunk) == _LINE_BYTES:
            while (rest := stream.readline(_LINE_BYTES)) and not rest.endswith(b"\n"):
                pass
            yield _Line(number, "", f"is longer than {FIELD_LIMIT} characters")
            continue
        try:
            text = chunk.decode("utf-8")
        except UnicodeDecodeError as error:
            yield _Line(number, "", f"is not UTF-8 text (byte {error.start + 1} of the line)")
            continue
        if number == 1:
            text = text.removeprefix("\ufeff")
        if len(text.rstrip("\r\n")) > FIELD_LIMIT:
            yield _Line(number, "", f"is longer than {FIELD_LIMIT} characters")
            continue
        yield _Line(number, text)


def _entry(row: dict[str, str], address: str, platforms: frozenset[str]) -> NewObjection:
    canonical_key(address)  # raises InvalidAddress naming the problem
    channel_text = row["channel"].strip().lower()
    try:
        channel = Channel(channel_text)
    except ValueError:
        choices = ", ".join(channel.value for channel in Channel)
        raise ValueError(f"unknown channel {channel_text!r} (one of {choices})") from None
    received = row.get("received_at", "").strip()
    return NewObjection(
        address=address,
        channel=channel,
        received_at=received_time(received) if received else None,
        evidence=row.get("evidence", "").strip() or None,
        note=row.get("note", "").strip() or None,
        scope=Scope.chosen(row.get("scope", ""), platforms),
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


def export_decrypted(
    register: Register, stream: TextIO, *, by: str, reason: str | None, channel: str
) -> int:
    """Decrypt the whole register into ``stream`` as CSV; journaled with who, why and where.

    The one implementation behind ``objections export`` and the console's export:
    an empty reason is refused before anything is decrypted.
    """
    if not (reason and reason.strip()):
        raise RegisterError("say why the register is decrypted: it is journaled")
    items = register.objections(with_address=True)
    write(
        register.engine,
        by,
        Deed.REGISTER_EXPORTED,
        reason=reason,
        detail=f"{len(items)} objections decrypted by {channel}",
    )
    return write_csv(items, stream)
