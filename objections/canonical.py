"""The canonical mailbox key: one spelling per mailbox, shared by the register and the pipeline.

The key is deliberately at least as aggressive as any platform's normalisation:
two spellings that any platform might treat as one mailbox get one key, so an
objector can never slip through because of how their address was typed.

Rules, in order:

1. Non-ASCII input only: invisible code points are removed (Unicode's
   Default_Ignorable_Code_Point set and every format character, category Cf:
   zero-width spaces and joiners, word joiner, soft hyphen, byte order mark,
   bidirectional controls, variation selectors, tags, ...), and compatibility
   forms are folded (Unicode NFKC: fullwidth ``ｊａｎｅ＠…`` is ``jane@…``,
   ligatures, superscripts). NFKC, not a targeted fullwidth fold: it folds
   every compatibility variant a platform or a font might show as the same
   text; folding too much only over-suppresses, which is safe.
   Then lowercase (ASCII input: lowercase only).
2. Strip white space at both ends, a ``Name <addr>`` wrapper and a ``mailto:``
   prefix.
3. Split into local part and domain; the local part loses its ``+tag``.
4. The domain is converted to ASCII (IDNA, UTS #46) and must be a valid host name.
5. ``gmail.com`` and ``googlemail.com`` are one domain, ``gmail.com``, whose
   local parts ignore dots.

Step 1 can only change non-ASCII text, and one regular expression does steps
2 and 3 for both implementations: Python's
``re`` in :func:`canonical_key`, RE2 in :func:`canonical_keys` (which sends only
pure-ASCII rows through ``pyarrow.compute`` and every other row through
:func:`canonical_key`), so the two agree by construction.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

import idna
import pyarrow as pa
import pyarrow.compute as pc

MAX_KEY_OCTETS = 254
"""RFC 5321: a forward path holds at most 256 octets including the brackets."""

GMAIL = "gmail.com"
GMAIL_DOMAINS = (GMAIL, "googlemail.com")

_ASCII_SPACE = " \t\n\r\v\f"
_SPACE = _ASCII_SPACE + "".join(
    map(
        chr,
        (
            0x85,
            0xA0,
            0x1680,
            *range(0x2000, 0x200C),
            0x2028,
            0x2029,
            0x202F,
            0x205F,
            0x3000,
            0xFEFF,
        ),
    )
)
"""Trimmed at both ends; only the ASCII ones can occur in the rows Arrow handles."""
_MAILTO = "mailto:"
_CONTROL = r"\x00-\x1f\x7f"
_EXCLUDED = _SPACE + _CONTROL + r'@<>()\[\]\\,;:"'
"""Characters an unquoted local part or a domain cannot hold (the white space literally)."""
_WRAPPED = r"[^<>]*<([^<>]*)>"
_ADDRESS = f"(?P<local>[^+{_EXCLUDED}]+)(?:\\+[^{_EXCLUDED}]*)?@(?P<domain>[^{_EXCLUDED}]+)"
_LABEL = r"[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?"
_DOMAIN = rf"(?:{_LABEL}\.)+{_LABEL}"

_INVISIBLE = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff"
    "\u0600-\u0605\u06dd\u070f\u0890\u0891\u08e2\U000110bd\U000110cd\U00013430-\U0001343f"
)
"""Default_Ignorable_Code_Point (DerivedCoreProperties.txt, Unicode 14.0 as in Python 3.11)
and every other format character (category Cf), as a character class; a test checks both
against ``unicodedata``."""

_INVISIBLE_RE = re.compile(f"[{_INVISIBLE}]")
_WRAPPED_RE = re.compile(_WRAPPED)
_ADDRESS_RE = re.compile(_ADDRESS)
_DOMAIN_RE = re.compile(_DOMAIN)
_CONTROL_RE = re.compile(f"[{_CONTROL}]")


class InvalidAddress(ValueError):
    """An address that has no canonical key.

    The message is only the :attr:`reason` and never contains the address, so
    the pipeline may count or log it; a command line that shows the address to
    the person who typed it prints the address itself next to the reason.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def canonical_key(address: str) -> str:
    """The canonical mailbox key of one address; :class:`InvalidAddress` when it has none."""
    text = address.lower() if address.isascii() else _fold(address)
    text = text.strip(_SPACE)
    if wrapped := _WRAPPED_RE.fullmatch(text):
        text = wrapped[1].strip(_SPACE)
    if text.startswith(_MAILTO):
        text = text.removeprefix(_MAILTO).strip(_SPACE)
    match = _ADDRESS_RE.fullmatch(text)
    if match is None:
        raise InvalidAddress(_diagnose(text))
    local, domain = match["local"], match["domain"]
    if not domain.isascii():
        domain = _ascii_domain(domain)
    if _DOMAIN_RE.fullmatch(domain) is None:
        raise InvalidAddress("the domain is not a valid host name")
    if domain in GMAIL_DOMAINS:
        local, domain = local.replace(".", ""), GMAIL
        if not local:
            raise InvalidAddress("the local part holds only dots")
    key = f"{local}@{domain}"
    if len(key.encode()) > MAX_KEY_OCTETS:
        raise InvalidAddress(f"longer than {MAX_KEY_OCTETS} octets")
    return key


def canonical_keys(values: pa.Array) -> pa.StringArray:
    """:func:`canonical_key` of every element of a string array; null where it has none.

    Pure-ASCII rows go through ``pyarrow.compute`` in bulk, each step the same
    rule as in :func:`canonical_key`; the rare rows with other characters (NFC,
    IDNA) go one by one through :func:`canonical_key`.
    """
    values = values.cast(pa.string())
    text = pc.ascii_trim(pc.ascii_lower(values), _ASCII_SPACE)
    text = _where(pc.ends_with(text, ">"), text, _unwrap)
    text = _where(pc.starts_with(text, _MAILTO), text, _strip_mailto)
    parts = pc.extract_regex(text, f"^{_ADDRESS}$")
    local, domain = pc.struct_field(parts, "local"), pc.struct_field(parts, "domain")
    gmail = pc.is_in(domain, value_set=pa.array(GMAIL_DOMAINS))
    local = pc.if_else(gmail, pc.replace_substring(local, ".", ""), local)
    domain = pc.if_else(gmail, pa.scalar(GMAIL), domain)
    keys = pc.binary_join_element_wise(local, domain, "@")
    valid = _all_true(
        pc.is_valid(parts),
        pc.match_substring_regex(domain, f"^{_DOMAIN}$"),
        pc.greater(pc.binary_length(local), 0),
        pc.less_equal(pc.binary_length(keys), MAX_KEY_OCTETS),
    )
    keys = pc.if_else(valid, keys, pa.scalar(None, pa.string()))
    return _where(pc.invert(pc.string_is_ascii(values)), keys, _non_ascii_keys, values)


def _where(
    mask: pa.Array,
    target: pa.Array,
    compute: Callable[[pa.Array], pa.Array],
    source: pa.Array | None = None,
) -> pa.Array:
    """``target`` with the rows selected by ``mask`` replaced by ``compute(source rows)``."""
    mask = pc.fill_null(mask, False)
    if not pc.any(mask).as_py():
        return target
    chosen = pc.filter(target if source is None else source, mask)
    return pc.replace_with_mask(target, mask, compute(chosen))


def _unwrap(text: pa.Array) -> pa.Array:
    inner = pc.replace_substring_regex(text, f"^{_WRAPPED}$", r"\1")
    return pc.ascii_trim(inner, _ASCII_SPACE)


def _strip_mailto(text: pa.Array) -> pa.Array:
    return pc.ascii_trim(pc.utf8_slice_codeunits(text, len(_MAILTO)), _ASCII_SPACE)


def _non_ascii_keys(values: pa.Array) -> pa.Array:
    return pa.array(map(_key_or_none, values.to_pylist()), pa.string())


def _all_true(*conditions: pa.Array) -> pa.Array:
    combined = conditions[0]
    for condition in conditions[1:]:
        combined = pc.and_kleene(combined, condition)
    return pc.fill_null(combined, False)


def _key_or_none(address: str) -> str | None:
    try:
        return canonical_key(address)
    except InvalidAddress:
        return None


def _fold(text: str) -> str:
    """Step 1 on non-ASCII text: drop invisible code points, NFKC, lowercase."""
    # NFKC can turn a visible character into an invisible one (U+3164 into
    # U+1160), so they are removed after it; lowercasing can leave an
    # unnormalised sequence, so NFKC runs again and the key is stable.
    visible = _INVISIBLE_RE.sub("", unicodedata.normalize("NFKC", text))
    return unicodedata.normalize("NFKC", visible.lower())


def _ascii_domain(domain: str) -> str:
    ascii_domain = _idna_or_none(domain)
    if ascii_domain is None:
        raise InvalidAddress("the domain is not a valid internationalised host name")
    return ascii_domain


@lru_cache(maxsize=4096)
def _idna_or_none(domain: str) -> str | None:
    """IDNA of a domain, cached: domains repeat, and one conversion costs about 30 µs."""
    try:
        return idna.encode(domain, uts46=True, transitional=False).decode("ascii")
    except idna.IDNAError:
        return None


def _diagnose(text: str) -> str:
    """Why an unwrapped address did not match, in words for the person who typed it."""
    local, at, domain = text.partition("@")
    problems = (
        (not text, "empty"),
        (_CONTROL_RE.search(text) is not None, "contains control characters"),
        (not at, "no @ sign"),
        ("<" in text or ">" in text, "unbalanced or misplaced < > around the address"),
        ("@" in domain, "more than one @ sign"),
        (not local.partition("+")[0], "nothing before the @ (or before the +tag)"),
        (not domain, "nothing after the @"),
    )
    return next(
        (reason for failed, reason in problems if failed),
        "the local part or the domain holds a character an address cannot hold",
    )
