"""The one error a source raises, and the scrubbing of database messages it quotes.

Database and Arrow messages sometimes quote the value that failed (PostgreSQL:
``invalid input syntax for type integer: "someone@example.com"``). Whatever a
source quotes goes through :func:`scrub` first, which removes every quoted
value and everything that looks like an address; column names survive.
"""

from __future__ import annotations

import re

_ADDRESS_LIKE = re.compile(r"""[^\s'"<>(),=]*@[^\s'"<>(),=]*""")
_QUOTED_VALUE = re.compile(r"""(?<=: )(["'])[^"']*\1|(?<=value )(["'])[^"']*\2""")
_REDACTED = "<redacted>"


class SourceError(Exception):
    """The source cannot be read; the message names the problem, never a row's value."""


def scrub(message: str) -> str:
    """A database or Arrow message without the row values it may quote."""
    message = _QUOTED_VALUE.sub(_REDACTED, message)
    return _ADDRESS_LIKE.sub(_REDACTED, message).strip()
