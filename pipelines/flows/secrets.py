"""Access tokens from Prefect Secret blocks, read at run time (an alternative to the environment).

A platform's ``access_token_block`` names the block; its value becomes the
token of these settings only, in this process: it is never a flow parameter,
a job variable or a log line.
"""

from __future__ import annotations

from typing import cast

from prefect.blocks.system import Secret
from pydantic import SecretStr

from audiences.registry import PLATFORMS
from pipelines.errors import ConfigurationError
from pipelines.settings import Settings


def with_secret_tokens(settings: Settings) -> Settings:
    """``settings`` with each platform's token read from its Secret block, when one is named."""
    updates = {}
    for name, platform in PLATFORMS.items():
        section = settings.platform_settings(name)
        block = section.access_token_block
        if section.token is not None or block is None:
            continue
        try:
            value = cast("Secret[str]", Secret.load(block)).get()  # a sync call here
        except ValueError:
            raise ConfigurationError(
                f"{name}.access_token_block names the Prefect Secret block {block!r}, which "
                "does not exist on this Prefect server"
            ) from None
        token = SecretStr(str(value))
        updates[name] = section.model_copy(update={platform.settings_model.token_field: token})
    return settings.model_copy(update=updates) if updates else settings
