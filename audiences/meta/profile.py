"""Meta's normalisation rule for e-mail addresses (see ``RULES.md``)."""

from __future__ import annotations

from audiences.identity import NormalisationProfile, trim_and_lowercase

META_EMAIL_PROFILE = NormalisationProfile(
    platform="meta",
    schema="EMAIL_SHA256",
    normalise=trim_and_lowercase,
    source=(
        "Marketing API, Custom Audiences, 'Hashing and normalization for multi-key': "
        "EMAIL — trim leading and trailing white space, convert all characters to lowercase"
    ),
)
