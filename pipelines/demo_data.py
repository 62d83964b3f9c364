"""Realistic demo accounts, and objections spelt the way people really write them.

Every row is drawn with one seeded generator, so a seed always gives the same
table. Shares, per row:

- account: 70 % eligible (active, verified, not deleted), 12 % active but
  unverified, 8 % closed, 4 % suspended, 6 % deleted (half of them still
  ``active``: ``deleted_at`` alone must exclude them);
- e-mail: 92 % a new mailbox, 5 % another spelling of an earlier account's
  mailbox (the same person twice), 3 % invalid (empty, blank, NULL, no ``@``,
  bad domain, longer than 254 characters);
- spelling of a new mailbox: 85 % plain lower case, 6 % mixed case, 4 % stray
  white space, 2.5 % ``mailto:``, 2.5 % ``Name <addr>``;
- 2 % of new mailboxes have a non-ASCII local part or domain (``été.lune@exämple.fr``);
- domains: example.com/.fr/.org (65 %), gmail.com (30 %), googlemail.com (5 %);
- country: FR 85 %, then BE, CH, LU, DE, ES, IT.

Addresses are built from neutral words (``amber.otter12@example.fr``), never
from people's names; the only real domains are Gmail's, needed for its rules.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pyarrow.compute as pc

from audiences.identity import invalid_reasons, unwrap_addresses
from pipelines.sources.errors import SourceError
from pipelines.sources.locations import DataFiles, parse_location
from pipelines.sources.sql import connect

ACCOUNTS_SCHEMA = pa.schema(
    [
        pa.field("id", pa.int64(), nullable=False),
        pa.field("email", pa.string()),
        pa.field("status", pa.string(), nullable=False),
        pa.field("email_verified", pa.bool_(), nullable=False),
        pa.field("country", pa.string(), nullable=False),
        pa.field("created_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("deleted_at", pa.timestamp("us", tz="UTC")),
        pa.field("ad_consent", pa.bool_(), nullable=False),
    ]
)
CONSENT_EVERY = 10
"""One demo account in this many gave no consent to ad matching (by id, so data stays stable)."""

_KINDS = {"eligible": 70, "unverified": 12, "closed": 8, "suspended": 4, "deleted": 6}
_ADDRESSES = {"new": 92, "again": 5, "invalid": 3}
_NEW_SPELLINGS = {"plain": 850, "mixed_case": 60, "whitespace": 40, "mailto": 25, "named": 25}
_DOMAINS = {
    "example.com": 30,
    "example.fr": 25,
    "example.org": 10,
    "gmail.com": 30,
    "googlemail.com": 5,
}
_COUNTRIES = {"FR": 85, "BE": 5, "CH": 3, "LU": 2, "DE": 2, "ES": 2, "IT": 1}
_NON_ASCII_SHARE = 0.02
_WORDS = (
    "amber", "coral", "dune", "fern", "frost", "harbor", "juniper", "lagoon", "maple",
    "meadow", "moss", "nova", "orchid", "pebble", "quartz", "river", "saffron", "sierra",
    "tide", "willow", "otter", "heron", "lynx",
)  # fmt: skip
_NON_ASCII = (
    "été.lune@example.fr",
    "crème.forêt@example.fr",
    "noël@exämple.fr",
    "åsa.vind@exämple.se",
)
_INVALID: tuple[str | None, ...] = (
    "",
    "   ",
    None,
    "no-at-sign{n}.example.com",
    "someone{n}@localhost",
    "someone{n}@example",
    "a" * 250 + "{n}@example.com",
)
"""Templates; ``{n}`` is the account id, so invalid addresses are as varied as real ones."""
_START = datetime(2016, 1, 1, tzinfo=UTC)
_SPAN = timedelta(days=9 * 365)
_GMAIL = ("gmail.com", "googlemail.com")

Spelling = Callable[[str, random.Random], str]


def generate_accounts(rows: int, *, seed: int = 7) -> pa.Table:
    """``rows`` demo accounts of the default schema, the same for the same seed."""
    rng = _generator(seed)
    mailboxes: list[str] = []
    columns: dict[str, list[object]] = {name: [] for name in ACCOUNTS_SCHEMA.names}
    for account_id in range(1, rows + 1):
        kind = _pick(rng, _KINDS)
        created_at = _START + _SPAN * rng.random()
        deleted = kind == "deleted"
        columns["id"].append(account_id)
        columns["email"].append(_address(account_id, rng, mailboxes))
        columns["status"].append(_status(kind, rng))
        columns["email_verified"].append(
            kind == "eligible" or (kind != "unverified" and rng.random() < 0.9)
        )
        columns["country"].append(_pick(rng, _COUNTRIES))
        columns["created_at"].append(created_at)
        columns["deleted_at"].append(
            created_at + timedelta(days=rng.randint(1, 900)) if deleted else None
        )
        columns["ad_consent"].append(account_id % CONSENT_EVERY != 0)
    return pa.table(columns, schema=ACCOUNTS_SCHEMA)


def choose_objectors(accounts: pa.Table, count: int, *, seed: int) -> list[str]:
    """Addresses of ``count`` account holders who object, each spelt unlike their account.

    Nine in ten come from eligible accounts (the objection must suppress them),
    the rest from ineligible ones. Each is a spelling the canonical mailbox key
    maps to the account's own: another case, white space, ``mailto:``,
    ``Name <addr>``, and for Gmail dots, ``+tag`` or googlemail.com.
    """
    rng = _generator(seed)
    mailboxes = unwrap_addresses(accounts.column("email").combine_chunks())
    valid = pc.is_null(invalid_reasons(mailboxes)).to_pylist()
    eligible = _eligible(accounts).to_pylist()
    pools: dict[bool, list[int]] = {True: [], False: []}
    for row, (is_valid, is_eligible) in enumerate(zip(valid, eligible, strict=True)):
        if is_valid:
            pools[bool(is_eligible)].append(row)
    from_ineligible = min(count // 10, len(pools[False]))
    if count - from_ineligible > len(pools[True]):
        raise ValueError(f"only {len(pools[True])} eligible accounts with a valid address")
    chosen = rng.sample(pools[True], count - from_ineligible) + rng.sample(
        pools[False], from_ineligible
    )
    rng.shuffle(chosen)
    raw = accounts.column("email").to_pylist()
    mailbox_list = mailboxes.to_pylist()
    return [_other_spelling(mailbox_list[row], raw[row], rng) for row in chosen]


def write_accounts(table: pa.Table, url: str) -> None:
    """Replace the ``accounts`` table of the SQLite file or PostgreSQL database at ``url``."""
    location = parse_location(url)
    if isinstance(location, DataFiles):
        raise SourceError("demo data is written to a database: sqlite:///… or postgresql://…")
    with connect(location, writable=True) as connection, connection.cursor() as cursor:
        cursor.adbc_ingest("accounts", table, mode="replace")


def _generator(seed: int) -> random.Random:
    return random.Random(seed)  # noqa: S311 - reproducible demo data, not a secret


def _eligible(accounts: pa.Table) -> pa.ChunkedArray:
    return pc.and_(
        pc.and_(pc.equal(accounts["status"], "active"), accounts["email_verified"]),
        pc.is_null(accounts["deleted_at"]),
    )


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _status(kind: str, rng: random.Random) -> str:
    if kind in {"closed", "suspended"}:
        return kind
    if kind == "deleted":
        return rng.choice(("active", "closed"))
    return "active"


def _verified(kind: str, rng: random.Random) -> bool:
    if kind in {"eligible", "unverified"}:
        return kind == "eligible"
    return rng.random() < 0.9


def _address(account_id: int, rng: random.Random, mailboxes: list[str]) -> str | None:
    source = _pick(rng, _ADDRESSES)
    if source == "invalid":
        template = rng.choice(_INVALID)
        return template.format(n=account_id) if template else template
    if source == "again" and mailboxes:
        return _respell(rng.choice(mailboxes), rng)
    mailbox = _new_mailbox(account_id, rng)
    mailboxes.append(mailbox)
    return _SPELLINGS[_pick(rng, _NEW_SPELLINGS)](mailbox, rng)


def _new_mailbox(account_id: int, rng: random.Random) -> str:
    if rng.random() < _NON_ASCII_SHARE:
        local, domain = rng.choice(_NON_ASCII).split("@")
        return f"{local}{account_id}@{domain}"
    first, second = rng.sample(_WORDS, 2)
    return f"{first}.{second}{account_id}@{_pick(rng, _DOMAINS)}"


def _other_spelling(mailbox: str, own: str, rng: random.Random) -> str:
    """A spelling of ``mailbox`` that differs from the account's own ``own``."""
    while (spelt := _respell(mailbox, rng)) == own:
        pass
    return spelt


def _respell(mailbox: str, rng: random.Random) -> str:
    """Another spelling with the same canonical mailbox key."""
    domain = mailbox.rpartition("@")[2]
    choices = [_whitespace, _mailto, _named]
    if mailbox.isascii():
        choices += [_upper, _mixed_case]
    if domain.lower() in _GMAIL:
        choices += [_gmail_dots, _gmail_tag, _gmail_domain]
    return rng.choice(choices)(mailbox, rng)


def _plain(mailbox: str, rng: random.Random) -> str:
    return mailbox


def _upper(mailbox: str, rng: random.Random) -> str:
    return mailbox.upper()


def _mixed_case(mailbox: str, rng: random.Random) -> str:
    if not mailbox.isascii():
        return mailbox
    return "".join(char.upper() if rng.random() < 0.3 else char for char in mailbox)


def _whitespace(mailbox: str, rng: random.Random) -> str:
    return rng.choice(("  {} ", "{} ", "\t{}", " {}\n")).format(mailbox)


def _mailto(mailbox: str, rng: random.Random) -> str:
    return rng.choice(("mailto:", "MAILTO:", "mailto: ")) + mailbox


def _named(mailbox: str, rng: random.Random) -> str:
    return f"{rng.choice(('Demo Customer', 'Client Démo', 'A. Sample'))} <{mailbox}>"


def _gmail_dots(mailbox: str, rng: random.Random) -> str:
    local, _, domain = mailbox.rpartition("@")
    bare = local.replace(".", "")
    cut = rng.randint(1, max(1, len(bare) - 1))
    dotted = f"{bare[:cut]}.{bare[cut:]}"
    return f"{dotted if dotted != local else bare}@{domain}"


def _gmail_tag(mailbox: str, rng: random.Random) -> str:
    local, _, domain = mailbox.rpartition("@")
    return f"{local}+{rng.choice(('promo', 'shop', 'news'))}@{domain}"


def _gmail_domain(mailbox: str, rng: random.Random) -> str:
    local, _, domain = mailbox.rpartition("@")
    other = "googlemail.com" if domain.lower() == "gmail.com" else "gmail.com"
    return f"{local}@{other}"


_SPELLINGS: dict[str, Spelling] = {
    "plain": _plain,
    "mixed_case": _mixed_case,
    "whitespace": _whitespace,
    "mailto": _mailto,
    "named": _named,
}
