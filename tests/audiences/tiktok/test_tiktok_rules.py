"""RULES.md and the TikTok client agree: the error table, the known hash, sizes and locations."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from audiences.destination import LookalikeSize
from audiences.errors import ErrorKind
from audiences.tiktok.errors import rule_for
from audiences.tiktok.lookalike import check_country, check_size
from audiences.tiktok.profile import TIKTOK_EMAIL_PROFILE
from audiences.tiktok.upload_file import customer_file

RULES = Path(__file__).parents[3] / "audiences" / "tiktok" / "RULES.md"


def documented_error_table() -> dict[int, str]:
    """Code → kind, every range of RULES.md's error table expanded."""
    text = RULES.read_text(encoding="utf-8")
    table = text.split("<!-- error-table:start -->")[1].split("<!-- error-table:end -->")[0]
    kinds: dict[int, str] = {}
    for line in table.strip().splitlines()[2:]:
        codes, kind = (cell.strip() for cell in line.strip("|").split("|")[:2])
        first, _, last = codes.partition("–")
        for code in range(int(first), int(last or first) + 1):
            kinds[code] = kind
    return kinds


def test_every_documented_code_is_handled_as_rules_md_says() -> None:
    documented = documented_error_table()
    assert documented, "RULES.md has an error table"
    assert {code: str(rule_for(code).kind) for code in documented} == documented


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (40100, ErrorKind.RATE_LIMITED),
        (51023, ErrorKind.TRANSIENT),
        (40105, ErrorKind.AUTHENTICATION),
        (40913, ErrorKind.INVALID_REQUEST),
        (12345, ErrorKind.UNEXPECTED),
    ],
)
def test_codes_outside_the_table_fall_into_their_documented_ranges(
    code: int, kind: ErrorKind
) -> None:
    assert rule_for(code).kind is kind


def test_tiktoks_own_example_hashes_as_published() -> None:
    # TikTok's help centre: janedoe@gmail.com, trimmed and lower-cased, SHA-256 in lowercase hex.
    hashed = TIKTOK_EMAIL_PROFILE.hash_addresses(pa.array(["  JaneDoe@Gmail.com "]))
    assert hashed == ["d6117306485ed0e50afab3ac871e98f81699151f30281527d63ff5f233656c69"]
    assert "d6117306485ed0e50afab3ac871e98f81699151f30281527d63ff5f233656c69" in RULES.read_text()


def test_dots_and_plus_tags_are_sent_as_written() -> None:
    plain, tagged = TIKTOK_EMAIL_PROFILE.hash_addresses(
        pa.array(["jane.doe@gmail.com", "jane.doe+shop@gmail.com"])
    )
    assert plain != tagged


def test_a_customer_file_is_one_hash_a_line_signed_by_its_md5() -> None:
    upload = customer_file(["a" * 64, "b" * 64])
    assert upload.content == ("a" * 64 + "\n" + "b" * 64 + "\n").encode()
    assert upload.signature == "98a83bf6fc96ebbd9a832c60882e773c"  # md5 of those bytes
    assert upload.lines == 2


def test_sizes_are_words_and_a_ratio_is_refused_naming_the_rule() -> None:
    assert check_size(LookalikeSize(word="Broad"), LookalikeSize()) == LookalikeSize(word="broad")
    assert check_size(LookalikeSize(), LookalikeSize(ratio=0.01, word="balanced")) == (
        LookalikeSize(word="balanced")
    )
    with pytest.raises(ValueError, match="TikTok sizes a lookalike by a word"):
        check_size(LookalikeSize(ratio=0.05), LookalikeSize(word="balanced"))
    with pytest.raises(ValueError, match="one of narrow, balanced, broad"):
        check_size(LookalikeSize(word="huge"), LookalikeSize())


def test_a_country_without_a_known_location_id_is_refused() -> None:
    assert check_country("FR") == "FR"
    with pytest.raises(ValueError, match="no TikTok location id is known for country 'ZW'"):
        check_country("ZW")
