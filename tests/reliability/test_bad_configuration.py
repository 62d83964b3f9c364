"""Bad configuration: refused before any platform call, on the record, and nothing else written.

Each refusal runs ``audience-export run`` as a user would, against a data folder
with a valid source, register keys and an initialised register: the run
must exit 2 with a message naming the problem, leave exactly one FAILED export
in the ledger (the request as given), send no Graph request and create no file
but the ledger.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from audiences.destination import LookalikeSize
from audiences.ledger import AudienceState, ExportRecord, Ledger
from pipelines.admission import RunRefused
from pipelines.demo_data import generate_accounts, write_accounts
from tests.fixtures.exports import configure_export, run_export
from tests.fixtures.register import generated_key_file, initialised
from tests.fixtures.sandbox import RunningSandbox

CLI = str(Path(sys.executable).with_name("audience-export"))
UNREACHABLE = "postgresql://audience:s3cret@127.0.0.1:1/{name}"
"""A PostgreSQL URL nothing listens at (port 1), with a password that must never be shown."""
NOWHERE = "http://127.0.0.1:9/api"
"""Prefect's API for the command line: a run wrongly admitted fails fast instead of starting."""


@dataclass(frozen=True)
class Refusal:
    """One bad configuration: CLI options, environment changes, the message and the request."""

    args: tuple[str, ...] = ()
    environment: dict[str, str | None] = field(default_factory=dict)
    """``AUDIENCE_EXPORT_`` variables to set (None: unset); ``{home}`` is the data folder."""
    message: str = ""
    requested: dict[str, object] = field(default_factory=dict)
    """What the FAILED ledger entry records as asked for."""


REFUSALS = {
    "ratio 0.5": Refusal(
        args=("--ratio", "0.5"),
        message="ratio must be between 0.01 and 0.20",
        requested={"size": LookalikeSize(ratio=0.5)},
    ),
    "a size word for Meta": Refusal(
        args=("--size", "broad"),
        message="Meta sizes a lookalike by a ratio of 0.01 to 0.20 of the country's population",
        requested={"size": LookalikeSize(word="broad")},
    ),
    "country France": Refusal(
        args=("--country", "France"),
        message="country must be an ISO 3166-1 alpha-2 code such as FR or NL (got 'France')",
        requested={"country": "France"},
    ),
    "unknown destination": Refusal(
        args=("--destination", "google"),
        message="unknown destination 'google'",
        requested={"destination": "google"},
    ),
    "missing token": Refusal(
        environment={"META_ACCESS_TOKEN": None},
        message="is not configured: set AUDIENCE_EXPORT_META_ACCESS_TOKEN",
    ),
    "unreachable source": Refusal(
        environment={"SOURCE_URL": UNREACHABLE.format(name="accounts")},
        message="cannot connect to postgresql://audience:***@127.0.0.1:1/accounts",
    ),
    "ratio not a number": Refusal(
        args=("--ratio", "nan"),
        message="ratio must be a number (got nan)",
    ),
    "register URL with a typo (file)": Refusal(
        environment={"OBJECTIONS_URL": "sqlite:///{home}/registre.sqlite"},
        message="audience-export objections init",
    ),
    "register URL with a typo (folder)": Refusal(
        environment={"OBJECTIONS_URL": "sqlite:///{home}/typo-dir/register.sqlite"},
        message="audience-export objections init",
    ),
    "register that never held an objection": Refusal(
        environment={"OBJECTIONS_ALLOW_EMPTY": None},
        message="has never held an objection",
    ),
    "key file is a folder": Refusal(
        environment={"OBJECTIONS_KEY_FILE": "{home}/keys-folder"},
        message="cannot read key file {home}/keys-folder",
    ),
    "key file is not a key file": Refusal(
        environment={"OBJECTIONS_KEY_FILE": "{home}/accounts.sqlite"},
        message="key file {home}/accounts.sqlite is not a register key file",
    ),
}


@pytest.fixture
def home(sandbox: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data folder wired to the sandbox: 300 accounts, register keys and an empty register
    (allowed for these runs, as for a first export)."""
    return prepared_home(sandbox, tmp_path, monkeypatch)


def prepared_home(sandbox: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The data folder of :func:`home`."""
    settings = configure_export(
        monkeypatch, sandbox, tmp_path / "home", OBJECTIONS_ALLOW_EMPTY="true"
    )
    write_accounts(generate_accounts(300, seed=11), settings.source_url)
    generated_key_file(settings.home)
    initialised(settings.register_config)
    (settings.home / "keys-folder").mkdir()
    return settings.home


def cli(home: Path, changes: dict[str, str | None], *args: str) -> subprocess.CompletedProcess[str]:
    """``audience-export`` with this test's settings, ``changes`` applied."""
    environment = dict(os.environ) | {"PREFECT_API_URL": NOWHERE, "COLUMNS": "200"}
    for name, value in changes.items():
        environment.pop(f"AUDIENCE_EXPORT_{name}", None)
        if value is not None:
            environment[f"AUDIENCE_EXPORT_{name}"] = value.format(home=home)
    return subprocess.run(
        [CLI, *args], env=environment, capture_output=True, text=True, timeout=120, check=False
    )


def files_in(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*")}


def graph_requests(sandbox: RunningSandbox) -> list[dict[str, object]]:
    """Every request the platform received (the sandbox's control calls aside)."""
    return [r for r in sandbox.requests() if not str(r["path"]).startswith("/_sandbox")]


def only_export(settings_home: Path) -> ExportRecord:
    with Ledger.open(f"sqlite:///{settings_home / 'ledger.sqlite'}") as ledger:
        records = ledger.exports()
    assert len(records) == 1, "a refused run leaves exactly one ledger entry"
    return records[0]


@pytest.mark.parametrize("refusal", REFUSALS.values(), ids=REFUSALS.keys())
def test_a_refused_run_is_recorded_failed_and_sends_and_writes_nothing_else(
    home: Path, sandbox: RunningSandbox, refusal: Refusal
) -> None:
    before = files_in(home)

    refused = cli(home, refusal.environment, "run", *refusal.args)

    assert refused.returncode == 2, refused.stderr
    assert refusal.message.format(home=home) in refused.stderr
    assert "Traceback" not in refused.stderr
    assert "s3cret" not in refused.stderr
    record = only_export(home)
    assert record.state is AudienceState.FAILED
    assert record.failure_reason is not None
    assert refusal.message.format(home=home) in record.failure_reason
    assert f"recorded as failed export {record.export_id}" in refused.stderr
    assert record.seed_audience_id is None
    for name, value in refusal.requested.items():
        assert getattr(record, name) == value
    assert graph_requests(sandbox) == []
    assert files_in(home) - before == {"ledger.sqlite"}


def test_an_unreachable_ledger_is_named_and_nothing_is_written(
    home: Path, sandbox: RunningSandbox
) -> None:
    before = files_in(home)

    refused = cli(home, {"LEDGER_URL": UNREACHABLE.format(name="ledger")}, "run")

    assert refused.returncode == 2, refused.stderr
    assert "cannot open the ledger at postgresql+psycopg://audience:***@127.0.0.1:1/ledger" in (
        refused.stderr
    )
    assert "s3cret" not in refused.stderr
    assert "Traceback" not in refused.stderr
    assert graph_requests(sandbox) == []
    assert files_in(home) == before


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_server")
def test_the_flow_refuses_the_same_way_when_started_by_a_deployment(
    home: Path, sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUDIENCE_EXPORT_OBJECTIONS_KEY_FILE", str(home / "keys-folder"))
    before = files_in(home)

    with pytest.raises(RunRefused, match=r"cannot read key file .*keys-folder"):
        run_export(country="NL", ratio=0.03)

    record = only_export(home)
    assert record.state is AudienceState.FAILED
    assert (record.country, record.size.ratio) == ("NL", 0.03)
    assert graph_requests(sandbox) == []
    assert files_in(home) - before == {"ledger.sqlite"}


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_server")
def test_a_ledger_on_postgresql_records_the_refused_request_as_given(
    sandbox: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_url: str
) -> None:
    settings = configure_export(monkeypatch, sandbox, tmp_path / "home", LEDGER_URL=postgres_url)

    with pytest.raises(RunRefused, match="unknown destination"):
        run_export(country="France", destination="a-platform-with-a-long-name")

    with Ledger.open(settings.ledger_url) as ledger:
        [record] = ledger.exports()
    assert record.state is AudienceState.FAILED
    assert (record.country, record.destination) == ("France", "a-platform-with-a-long-name")
    assert graph_requests(sandbox) == []
