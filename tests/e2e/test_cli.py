"""The README's main job, as a new user runs it: ``audience-export demo`` in an empty folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.demo_data import generate_accounts
from tests.fixtures.canary import IdentifierScanner

pytestmark = pytest.mark.prefect

CLI = str(Path(sys.executable).with_name("audience-export"))


def cli(
    folder: Path, prefect_api: str, *args: str, columns: int = 200
) -> subprocess.CompletedProcess[str]:
    """Run the command line in ``folder`` with embedded defaults, on the test Prefect server."""
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith("AUDIENCE_EXPORT_")
    }
    environment |= {"PREFECT_API_URL": prefect_api, "COLUMNS": str(columns)}
    return subprocess.run(
        [CLI, *args],
        cwd=folder,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_demo_from_an_empty_folder_ends_with_the_deletion_verified(
    tmp_path: Path, prefect_server: str
) -> None:
    demo = cli(tmp_path, prefect_server, "demo")

    assert demo.returncode == 0, demo.stderr
    assert "Generated new register keys" in demo.stdout
    assert "Seed deleted; the platform confirmed it is gone" in demo.stdout
    ledger = cli(tmp_path, prefect_server, "ledger", "--format", "json")
    entries = json.loads(ledger.stdout)
    assert [entry["state"] for entry in entries] == ["seed_deletion_verified"]
    assert entries[0]["seed_deletion_verified_at"]
    assert entries[0]["counts"]["suppressed"] > 0

    home = tmp_path / ".audience-export"
    scanner = IdentifierScanner.of(
        address
        for address in generate_accounts(5_000, seed=7).column("email").to_pylist()
        if address
    )
    source = list(home.glob("accounts.sqlite*"))
    assert scanner.scan_files([home], skip=source) == []
    assert scanner.scan_bytes("output", (demo.stdout + demo.stderr).encode()) == []


def test_a_tiktok_export_to_its_sandbox_from_the_command_line(
    tmp_path: Path, prefect_server: str
) -> None:
    assert cli(tmp_path, prefect_server, "demo-data", "--rows", "1000").returncode == 0

    run = cli(
        tmp_path,
        prefect_server,
        "run",
        "--destination",
        "tiktok",
        "--sandbox",
        "--size",
        "narrow",
        "--country",
        "DE",
        "--json",
    )

    assert run.returncode == 0, run.stderr
    entry = json.loads(run.stdout)
    assert (entry["destination"], entry["environment"]) == ("tiktok", "sandbox")
    assert (entry["country"], entry["size"], entry["ratio"]) == ("DE", "narrow", None)
    assert entry["seed_audience_id"]
    assert entry["lookalike_audience_id"]
    if entry["state"] == "seed_deletion_verified":
        assert "get: code 40007" in entry["platform_deletion_answer"]
    wrong = cli(
        tmp_path, prefect_server, "run", "--destination", "tiktok", "--sandbox", "--ratio", "0.02"
    )
    assert wrong.returncode == 2
    assert "pass --size instead of --ratio" in wrong.stderr


def test_dry_run_says_what_it_would_do_and_sends_nothing(
    tmp_path: Path, prefect_server: str
) -> None:
    assert (
        cli(tmp_path, prefect_server, "demo-data", "--rows", "1000", "--objectors", "20").returncode
        == 0
    )

    dry = cli(
        tmp_path,
        prefect_server,
        "run",
        "--sandbox",
        "--dry-run",
        "--country",
        "NL",
        "--ratio",
        "0.03",
    )

    assert dry.returncode == 0, dry.stderr
    assert "SANDBOX at http://127.0.0.1:" in dry.stdout
    assert "Dry run: would upload" in dry.stdout
    assert "3% lookalike in NL" in dry.stdout
    assert "Nothing was sent." in dry.stdout
    entries = json.loads(cli(tmp_path, prefect_server, "ledger", "--format", "json").stdout)
    assert [(entry["state"], entry["seed_audience_id"]) for entry in entries] == [("dry_run", None)]
    assert entries[0]["environment"] == "sandbox"


def test_without_meta_settings_nothing_falls_back_to_the_sandbox(
    tmp_path: Path, prefect_server: str
) -> None:
    assert (
        cli(tmp_path, prefect_server, "demo-data", "--rows", "500", "--objectors", "5").returncode
        == 0
    )

    refused = cli(tmp_path, prefect_server, "run", "--ad-account", "1234567890123456")

    assert refused.returncode == 2
    assert "AUDIENCE_EXPORT_META_ACCESS_TOKEN" in refused.stderr
    assert "--sandbox" in refused.stderr
    assert "sandbox" not in refused.stdout.lower()
    entries = json.loads(cli(tmp_path, prefect_server, "ledger", "--format", "json").stdout)
    assert [(entry["state"], entry["environment"]) for entry in entries] == [("failed", "unknown")]
    assert entries[0]["failure_reason"].startswith("refused before anything was sent: Meta")

    refused = cli(tmp_path, prefect_server, "run")
    assert refused.returncode == 2
    assert "AUDIENCE_EXPORT_META_ACCESS_TOKEN" in refused.stderr
    assert "AUDIENCE_EXPORT_META_AD_ACCOUNT" in refused.stderr

    # The ledger at 100 columns: id, when, platform, state, sent, deletion, and the whole reason.
    table = cli(tmp_path, prefect_server, "ledger", columns=100).stdout
    assert max(len(line) for line in table.splitlines()) <= 100
    assert entries[0]["export_id"][:8] in table
    assert "failed" in table
    reason_cells = [line.split("│")[-2] for line in table.splitlines() if line.count("│") >= 7]
    shown = "".join("".join(reason_cells).split())
    assert "".join(entries[0]["failure_reason"].split()) in shown, "the reason is shown whole"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--ratio", "0.5"], "ratio must be between 0.01 and 0.20"),
        (["--country", "France"], "ISO 3166-1 alpha-2"),
        (["--destination", "google"], "unknown destination 'google'"),
    ],
)
def test_bad_parameters_stop_before_anything_runs(
    tmp_path: Path, prefect_server: str, args: list[str], message: str
) -> None:
    refused = cli(tmp_path, prefect_server, "run", *args)

    assert refused.returncode == 2
    assert message in refused.stderr
    assert "Traceback" not in refused.stderr
