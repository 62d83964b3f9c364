"""A register that is not *the* register stops everything before anything is sent.

A typo in the register's URL (a missing SQLite file or folder, an empty
PostgreSQL database) must never create a new, empty register through which
objectors would be uploaded: ``run``, ``reconcile`` and ``objections check``
exit 2 naming ``objections init``, create nothing on disk and send nothing.
A register swapped for another one (a different identity) is refused until
acknowledged.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from audiences.ledger import AudienceState, Ledger
from objections.model import Channel
from objections.register import Register
from pipelines.admission import RunRefused
from pipelines.settings import Settings
from tests.fixtures.exports import DemoWorld, build_world, configure_export, run_export
from tests.fixtures.register import initialised, uninitialised_config
from tests.fixtures.sandbox import RunningSandbox

CLI = str(Path(sys.executable).with_name("audience-export"))
NOWHERE = "http://127.0.0.1:9/api"
"""Prefect's API for the command line: a run wrongly admitted fails fast instead of starting."""


def cli(*args: str, **changes: str) -> subprocess.CompletedProcess[str]:
    environment = dict(os.environ) | {"PREFECT_API_URL": NOWHERE, "COLUMNS": "200"}
    environment |= {f"AUDIENCE_EXPORT_{name}": value for name, value in changes.items()}
    return subprocess.run(
        [CLI, *args], env=environment, capture_output=True, text=True, timeout=120, check=False
    )


def files_in(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*")}


def graph_requests(sandbox: RunningSandbox) -> list[dict[str, object]]:
    return [r for r in sandbox.requests() if not str(r["path"]).startswith("/_sandbox")]


@pytest.fixture
def world(export_settings: Settings) -> DemoWorld:
    return build_world(export_settings, rows=400, objectors=20)


def typo_urls(home: Path) -> dict[str, str]:
    return {
        "missing file": f"sqlite:///{home}/registre.sqlite",
        "missing folder": f"sqlite:///{home}/typo-dir/register.sqlite",
    }


@pytest.mark.parametrize("typo", ["missing file", "missing folder"])
@pytest.mark.parametrize(
    "command", [("run",), ("reconcile",), ("objections", "check", "someone@example.org")]
)
def test_a_register_url_with_a_typo_stops_every_command(
    world: DemoWorld, sandbox: RunningSandbox, typo: str, command: tuple[str, ...]
) -> None:
    home = world.settings.home
    before = files_in(home)
    url = typo_urls(home)[typo]

    refused = cli(*command, OBJECTIONS_URL=url)

    assert refused.returncode == 2, refused.stderr
    assert "audience-export objections init" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert graph_requests(sandbox) == []
    created = files_in(home) - before
    assert created <= {"ledger.sqlite"}, "only a refused run's ledger entry may be written"
    assert not any("regist" in name or "typo" in name for name in created)


@pytest.mark.postgres
def test_an_empty_postgresql_database_is_not_a_register(
    world: DemoWorld, sandbox: RunningSandbox, postgres_url: str
) -> None:
    for command in (("run",), ("reconcile",), ("objections", "check", "someone@example.org")):
        refused = cli(*command, OBJECTIONS_URL=postgres_url)
        assert refused.returncode == 2, refused.stderr
        assert "audience-export objections init" in refused.stderr
    assert graph_requests(sandbox) == []
    import psycopg  # noqa: PLC0415 - only this test reads the database itself

    with psycopg.connect(postgres_url.replace("+psycopg", "")) as connection:
        tables = connection.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()
    assert tables == (0,), "nothing was created in the empty database"


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_server")
def test_a_swapped_register_is_refused_until_acknowledged(
    world: DemoWorld,
    sandbox: RunningSandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = run_export(dry_run=True)
    assert first.register_identity is not None

    # Another register, with an objection of its own, at another URL.
    other = initialised(
        uninitialised_config(f"sqlite:///{tmp_path / 'other.sqlite'}", tmp_path / "keys")
    )
    with Register.open(other) as register:
        register.add("someone@example.org", channel=Channel.EMAIL, by="privacy officer")
        swapped_identity = register.identity
    home = world.settings.home
    settings = configure_export(
        monkeypatch,
        sandbox,
        home,
        OBJECTIONS_URL=other.url,
        OBJECTIONS_KEY_FILE=str(other.key_file),
    )

    with pytest.raises(RunRefused, match="the objection register changed") as refused:
        run_export(dry_run=True)
    assert first.register_identity in str(refused.value)
    assert f"OBJECTIONS_ACCEPT_IDENTITY={swapped_identity}" in str(refused.value)
    assert graph_requests(sandbox) == []

    monkeypatch.setenv("AUDIENCE_EXPORT_OBJECTIONS_ACCEPT_IDENTITY", swapped_identity)
    accepted = run_export(dry_run=True)
    assert accepted.state is AudienceState.DRY_RUN
    assert accepted.register_identity == swapped_identity
    with Ledger.open(settings.ledger_url) as ledger:
        states = [record.state for record in ledger.exports()]
    assert states == [AudienceState.DRY_RUN, AudienceState.FAILED, AudienceState.DRY_RUN]
