"""A TikTok audience's details as the product's match and lookalike states.

TikTok reports no status code: an audience is being computed while
``is_valid`` is false, failed when ``error_msg`` says so, and ready when
``is_valid`` is true; ``cover_num`` is its size (``RULES.md``, "Reading
audiences"). The "code" shown to people is that state in words.
"""

from __future__ import annotations

from typing import Any

from audiences.destination import (
    AudienceKind,
    LookalikeState,
    LookalikeStatus,
    MatchState,
    MatchStatus,
)

PROCESSING = "is_valid=false"
READY = "is_valid=true"
FAILED = "error_msg"


def _size(details: dict[str, Any]) -> int | None:
    size = details.get("cover_num")
    return size if isinstance(size, int) and not isinstance(size, bool) else None


def _failed(details: dict[str, Any]) -> bool:
    return bool(details.get("error_msg"))


def match_status(details: dict[str, Any]) -> MatchStatus:
    """A seed: processing, ready (with its size) or failed."""
    if _failed(details):
        return MatchStatus(
            MatchState.FAILED, None, None, FAILED, "TikTok could not build the audience"
        )
    if details.get("is_valid") is not True:
        return MatchStatus(MatchState.PROCESSING, None, None, PROCESSING, "TikTok is matching")
    size = _size(details)
    return MatchStatus(MatchState.READY, size, size, READY, "matched")


def lookalike_status(details: dict[str, Any]) -> LookalikeStatus:
    """A lookalike: populating, ready (with its size) or failed."""
    if _failed(details):
        return LookalikeStatus(
            LookalikeState.FAILED, None, None, FAILED, "TikTok could not build the lookalike"
        )
    if details.get("is_valid") is not True:
        return LookalikeStatus(
            LookalikeState.POPULATING, None, None, PROCESSING, "TikTok is building it"
        )
    size = _size(details)
    return LookalikeStatus(LookalikeState.READY, size, size, READY, "ready")


def audience_kind(entry: dict[str, Any]) -> AudienceKind:
    """What a listed audience is, from its type (``type`` or ``audience_type``)."""
    kind = str(entry.get("audience_type") or entry.get("type") or "").lower()
    if "lookalike" in kind:
        return AudienceKind.LOOKALIKE
    if "customer file" in kind:
        return AudienceKind.SEED
    return AudienceKind.OTHER
