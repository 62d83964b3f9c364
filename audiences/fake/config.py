"""Settings of the fake platform (``[fake]``): it only ever runs as its own sandbox."""

from __future__ import annotations

from pydantic import Field, SecretStr

from audiences.platform import SANDBOX_CHOICE, PlatformSettings


class FakeConfig(PlatformSettings):
    """Where the fake platform "is": always its in-memory sandbox."""

    url_field = "base_url_setting"
    token_field = "access_token"  # noqa: S105 - the name of the setting, not a secret
    account_field = "ad_account"

    base_url_setting: str = Field(default=SANDBOX_CHOICE, description="Always the sandbox.")
    access_token: SecretStr | None = Field(default=None, description="Any token.")
    ad_account: str | None = Field(default=None, description="Any digits.")
