"""Write the demo: realistic accounts in the source, objections in the register.

The objections are registered in other spellings than the accounts' own
addresses, as people write them in letters and e-mails, so the demo shows the
canonical key at work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import cycle
from pathlib import Path

from objections.config import RegisterConfig
from objections.model import Channel, NewObjection
from objections.register import Register
from pipelines.demo_data import choose_objectors, generate_accounts, write_accounts

DEMO_OFFICER = "audience-export demo-data"


@dataclass(frozen=True)
class DemoReport:
    """What the demo data writer did (counts only)."""

    accounts: int
    objections_added: int
    objections_duplicate: int


def write_demo_data(
    source_url: str,
    register_config: RegisterConfig,
    *,
    rows: int,
    objectors: int,
    seed: int,
    on_keys_created: Callable[[Path], None],
) -> DemoReport:
    """Replace the source's accounts with demo rows and register ``objectors`` objections."""
    accounts = generate_accounts(rows, seed=seed)
    write_accounts(accounts, source_url)
    addresses = choose_objectors(accounts, objectors, seed=seed) if objectors else []
    channels = cycle(Channel)
    with init_register(register_config, on_keys_created=on_keys_created) as register:
        added = register.add_many(
            [
                NewObjection(address, next(channels), evidence=f"DEMO-{number:05d}")
                for number, address in enumerate(addresses, start=1)
            ],
            by=DEMO_OFFICER,
        )
    duplicates = sum(result.duplicate for result in added)
    return DemoReport(
        accounts=accounts.num_rows,
        objections_added=len(added) - duplicates,
        objections_duplicate=duplicates,
    )


def init_register(
    register_config: RegisterConfig, *, on_keys_created: Callable[[Path], None]
) -> Register:
    """The demo's register, created (with its keys) if it does not exist yet."""
    register = Register.init(register_config, create_keys=True)
    if register.generated_key_file is not None:
        on_keys_created(register.generated_key_file)
    return register
