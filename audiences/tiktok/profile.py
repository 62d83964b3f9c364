"""TikTok's normalisation rule for e-mail addresses (see ``RULES.md``)."""

from __future__ import annotations

from audiences.identity import NormalisationProfile, trim_and_lowercase

TIKTOK_EMAIL_PROFILE = NormalisationProfile(
    platform="tiktok",
    schema="EMAIL_SHA256",
    normalise=trim_and_lowercase,
    source=(
        "TikTok Ads help centre, 'Customer File': e-mail — remove spaces, convert to "
        "lowercase, then SHA-256 (lowercase hex); dots and +tags are kept as written"
    ),
)
