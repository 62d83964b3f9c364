"""Every lookalike platform the product exports to: one line each.

Adding a platform: its folder ``audiences/<platform>/`` (settings, client,
errors, profile, sandbox, ``RULES.md``), one line below, its tests and docs —
see ARCHITECTURE.md.
"""

from __future__ import annotations

from audiences.meta.platform import META
from audiences.platform import Platform
from audiences.tiktok.platform import TIKTOK

PLATFORMS: dict[str, Platform] = {platform.name: platform for platform in (META, TIKTOK)}
"""Platforms by name, in the order the product lists them."""


class UnknownPlatform(ValueError):
    """No platform of that name; the message lists the known ones."""


def platform(name: str) -> Platform:
    """The platform called ``name``; :class:`UnknownPlatform` listing the known ones."""
    try:
        return PLATFORMS[name]
    except KeyError:
        raise UnknownPlatform(
            f"unknown destination {name!r}; known destinations: {', '.join(PLATFORMS)}"
        ) from None


def register(new: Platform) -> None:
    """Add a platform at run time (tests register the fake destination this way)."""
    PLATFORMS[new.name] = new
