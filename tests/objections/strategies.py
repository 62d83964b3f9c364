"""Hypothesis strategies: registrable addresses and the spellings that must match them."""

from __future__ import annotations

import string

from hypothesis import strategies as st

from audiences.identity import DEFAULT_IGNORABLE as UNICODE_DEFAULT_IGNORABLE

_LOCAL = string.ascii_letters + string.digits + "_-"
_TAG = string.ascii_letters + string.digits + "+._-"
_GMAIL = ("gmail.com", "googlemail.com")
_DISPLAY_NAMES = ("", "Jane Doe ", '"Doe, J." ')
_OTHER = ("example.com", "orange.fr", "mail.example.co.uk", "exemple.fr")


@st.composite
def registered_addresses(draw: st.DrawFn) -> str:
    """An address as the privacy officer might type it: letters, digits, inner dots."""
    parts = draw(st.lists(st.text(_LOCAL, min_size=1, max_size=8), min_size=1, max_size=3))
    domain = draw(st.sampled_from(_GMAIL + _OTHER))
    return f"{'.'.join(parts)}@{domain}"


@st.composite
def address_variants(draw: st.DrawFn, address: str) -> str:
    """Another spelling of ``address`` with the same mailbox: case, white space,
    wrappers and ``+tag`` always; for Gmail also dots and the other Gmail domain."""
    local, _, domain = address.partition("@")
    if domain in _GMAIL:
        letters = local.replace(".", "")
        local = "".join(letter + "." * draw(st.integers(0, 2)) for letter in letters)
        local = "." * draw(st.integers(0, 1)) + local
        domain = draw(st.sampled_from(_GMAIL))
    if draw(st.booleans()):
        local += "+" + draw(st.text(_TAG, max_size=6))
    text = "".join(
        char.upper() if draw(st.booleans()) else char.lower() for char in f"{local}@{domain}"
    )
    if draw(st.booleans()):
        text = "mailto:" + text
    if draw(st.booleans()):
        text = f"{draw(st.sampled_from(_DISPLAY_NAMES))}< {text} >"
    space = st.text(" \t\n", max_size=3)
    return draw(space) + text + draw(space)


DEFAULT_IGNORABLE = frozenset(
    code for first, last in UNICODE_DEFAULT_IGNORABLE for code in range(first, last + 1)
)
"""Default_Ignorable_Code_Point, as the upload side's identity rules list it."""
_HIDDEN = st.sampled_from(sorted(DEFAULT_IGNORABLE)).map(chr)
_FULLWIDTH_OFFSET = 0xFF01 - 0x21
"""U+FF01..U+FF5E are the fullwidth forms of ASCII U+0021..U+007E."""


@st.composite
def hidden_variants(draw: st.DrawFn, text: str) -> str:
    """``text`` with invisible characters inserted and ASCII characters in fullwidth forms."""
    out = []
    for char in text:
        if draw(st.integers(0, 3)) == 0:
            out.append(draw(_HIDDEN))
        fullwidth = "!" <= char <= "~" and draw(st.integers(0, 2)) == 0
        out.append(chr(ord(char) + _FULLWIDTH_OFFSET) if fullwidth else char)
    return "".join(out) + (draw(_HIDDEN) if draw(st.booleans()) else "")
