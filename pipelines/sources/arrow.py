"""Bring any batch a source reads to the two-column shape every source yields.

``account_id`` and ``email`` are both ``string``: account ids of any type
(integers, UUIDs, text) are rendered as text, e-mail values that are numbers
become their digits, nulls stay null. Bytes that are not valid UTF-8 (a BLOB in
a SQLite text column, a mis-encoded CSV) are decoded with U+FFFD replacement
characters and counted, so one bad row never stops an export.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc

SCHEMA = pa.schema([("account_id", pa.string()), ("email", pa.string())])


def conform(account_id: pa.Array, email: pa.Array) -> tuple[pa.RecordBatch, int]:
    """The batch of these two columns, and how many e-mails were not valid UTF-8."""
    account_ids, _ = as_text(account_id)
    emails, undecodable = as_text(email)
    return pa.RecordBatch.from_arrays([account_ids, emails], schema=SCHEMA), undecodable


def as_text(values: pa.Array) -> tuple[pa.StringArray, int]:
    """``values`` as UTF-8 strings; how many needed replacement characters."""
    kind = values.type
    if pa.types.is_string(kind):
        raw = values.view(pa.binary())
    elif pa.types.is_large_string(kind):
        raw = values.view(pa.large_binary())
    elif pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        raw = values
    else:
        return pc.cast(values, pa.string()), 0
    try:
        return raw.cast(pa.string()), 0
    except pa.ArrowInvalid:
        return _decode_with_replacement(raw)


def _decode_with_replacement(raw: pa.Array) -> tuple[pa.StringArray, int]:
    texts: list[str | None] = []
    undecodable = 0
    for value in raw.to_pylist():
        if value is None:
            texts.append(None)
            continue
        try:
            texts.append(value.decode("utf-8"))
        except UnicodeDecodeError:
            texts.append(value.decode("utf-8", errors="replace"))
            undecodable += 1
    return pa.array(texts, pa.string()), undecodable


def reslice(batch: pa.RecordBatch, rows: int) -> Iterator[pa.RecordBatch]:
    """``batch`` cut into non-empty batches of at most ``rows`` rows (zero-copy)."""
    for offset in range(0, batch.num_rows, rows):
        yield batch.slice(offset, rows)
