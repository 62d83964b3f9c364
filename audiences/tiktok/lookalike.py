"""What TikTok takes to build a lookalike: a size word and a location (see ``RULES.md``)."""

from __future__ import annotations

from audiences.destination import LookalikeSize

SIZE_WORDS = ("narrow", "balanced", "broad")
"""``lookalike_spec.audience_size``: NARROW, BALANCED or BROAD (sent upper-case)."""

LOCATION_IDS = {
    "AT": "2782113",
    "AU": "2077456",
    "BE": "2802361",
    "BR": "3469034",
    "CA": "6251999",
    "CH": "2658434",
    "DE": "2921044",
    "DK": "2623032",
    "ES": "2510769",
    "FI": "660013",
    "FR": "3017382",
    "GB": "2635167",
    "IE": "2963597",
    "IT": "3175395",
    "JP": "1861060",
    "MX": "3996063",
    "NL": "2750405",
    "NO": "3144096",
    "PL": "798544",
    "PT": "2264397",
    "SE": "2661886",
    "US": "6252001",
}
"""``lookalike_spec.location_ids`` of whole countries: their GeoNames ids (UNVERIFIED,
``RULES.md``, "Lookalike locations"); a country not listed is refused before any upload."""


def check_size(asked: LookalikeSize, default: LookalikeSize) -> LookalikeSize:
    """TikTok's lookalike size: a word; a ratio is refused, naming the rule."""
    if asked.ratio is not None:
        raise ValueError(
            f"TikTok sizes a lookalike by a word ({', '.join(SIZE_WORDS)}), not by a ratio "
            f"(got ratio {asked.ratio!r}): pass --size instead of --ratio"
        )
    word = (asked.word or default.word or "").strip().lower()
    if word not in SIZE_WORDS:
        raise ValueError(
            f"TikTok's lookalike size must be one of {', '.join(SIZE_WORDS)} "
            f"(got {asked.word or default.word!r})"
        )
    return LookalikeSize(word=word)


def check_country(country: str) -> str:
    """A country whose TikTok location id is known; ``ValueError`` listing them otherwise."""
    if country not in LOCATION_IDS:
        raise ValueError(
            f"no TikTok location id is known for country {country!r}; known countries: "
            f"{', '.join(sorted(LOCATION_IDS))} (RULES.md, lookalike locations)"
        )
    return country
