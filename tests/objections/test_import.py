"""An import never loses a good line: every bad line is an error of its own."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

from objections.errors import RegisterError
from objections.transfer import FIELD_LIMIT, ParsedImport, read_import
from pipelines.cli import app
from tests.fixtures.register import PLATFORMS

HEADER = b"address,channel,received_at,evidence,note,scope\n"


def parsed(content: bytes) -> ParsedImport:
    return read_import(io.BytesIO(content), PLATFORMS)


def recorded(result: ParsedImport) -> list[str]:
    return [entry.address for entry in result.entries]


def refused(result: ParsedImport) -> list[tuple[int, str]]:
    return [(error.line, error.reason) for error in result.errors]


def test_an_oversized_field_is_one_error_and_every_other_line_is_read() -> None:
    huge = "x" * 200_000
    result = parsed(
        HEADER
        + b"before@example.com,email,,,,\n"
        + f"huge@example.com,email,,,{huge},\n".encode()
        + f'"quoted@example.com",email,,,"{huge}",\n'.encode()
        + b"after@example.com,letter,,,,meta\n"
    )
    assert recorded(result) == ["before@example.com", "after@example.com"]
    assert refused(result) == [
        (3, f"is longer than {FIELD_LIMIT} characters"),
        (4, f"is longer than {FIELD_LIMIT} characters"),
    ]
    assert all(error.address is None for error in result.errors)


def test_bad_encodings_wrong_column_counts_and_unknown_scopes_are_per_line() -> None:
    result = parsed(
        HEADER
        + "hélène@example.com,email,,,,\n".encode("latin-1")
        + b"short@example.com,email\n"
        + b"long@example.com,email,,,,meta,extra\n"
        + b"scoped@example.com,email,,,,facebook\n"
        + b"good@example.com,email,,,,meta\n"
    )
    assert recorded(result) == ["good@example.com"]
    assert refused(result) == [
        (2, "is not UTF-8 text (byte 2 of the line)"),
        (3, "2 columns where the header has 6"),
        (4, "7 columns where the header has 6"),
        (5, "scope must be 'all' or platforms among: meta, tiktok (got 'facebook')"),
    ]
    assert result.errors[3].address == "scoped@example.com"


def test_a_quoted_field_may_span_lines_but_a_stray_quote_swallows_nothing() -> None:
    result = parsed(
        b"\xef\xbb\xbf"  # a byte order mark, as spreadsheets write it
        + HEADER
        + b'multi@example.com,letter,,,"by post,\r\nsigned",\r\n'
        + b'"open@example.com,email,,,,\n'
        + b"next@example.com,email,,,,\n"
        + b'odd"quote@example.com,email,,,,\n'
        + b"\n"
        + b"last@example.com,email,,,,\n"
    )
    assert recorded(result) == ["multi@example.com", "next@example.com", "last@example.com"]
    assert result.entries[0].note == "by post,\r\nsigned"
    assert [line for line, _ in refused(result)] == [4, 6]
    assert refused(result)[0][1] == "1 columns where the header has 6"


def test_the_header_must_be_readable_and_name_address_and_channel() -> None:
    with pytest.raises(RegisterError, match="empty"):
        parsed(b"")
    with pytest.raises(RegisterError, match="lacks the column"):
        parsed(b"email,channel\n")
    with pytest.raises(RegisterError, match="the header row is not UTF-8 text"):
        parsed(b"addr\xffess,channel\n")


def test_an_import_with_a_200_000_character_field_records_every_other_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str
) -> None:
    monkeypatch.setenv("AUDIENCE_EXPORT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AUDIENCE_EXPORT_OBJECTIONS_URL", database_url)
    runner = CliRunner()
    assert runner.invoke(app, ["objections", "init"]).exit_code == 0
    file = tmp_path / "objections.csv"
    file.write_bytes(
        HEADER
        + b"first@example.com,email,,,,\n"
        + b"zq7canary@example.com,email,,,"
        + b"y" * 200_000
        + b",\n"
        + b"objector@example.com,phone,,,,meta\n"
    )
    result = runner.invoke(app, ["objections", "import", str(file)])
    assert result.exit_code == 1
    assert result.stdout.strip() == "recorded 2, already registered 0, refused 1"
    assert result.stderr.strip() == f"line 3: is longer than {FIELD_LIMIT} characters"
    assert runner.invoke(app, ["objections", "check", "first@example.com"]).exit_code == 0
    objector = ["objections", "check", "objector@example.com", "--platform", "meta"]
    assert runner.invoke(app, objector).exit_code == 0
    assert runner.invoke(app, ["objections", "check", "zq7canary@example.com"]).exit_code == 1
