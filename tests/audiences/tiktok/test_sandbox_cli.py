"""The TikTok sandbox command as a user starts it: a subprocess on a free port.

It runs the typer command function on its own, so that it is tested before
and apart from its place in ``audience-export sandbox --platform tiktok``.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests

COMMAND = [
    sys.executable,
    "-c",
    "import typer; from audiences.tiktok.sandbox.cli import sandbox; typer.run(sandbox)",
]


@contextmanager
def tiktok_sandbox(*options: str) -> Iterator[tuple[str, subprocess.Popen[str], list[str]]]:
    """The command on any free port; its URL (read from what it prints) and its output lines."""
    process = subprocess.Popen(
        [*COMMAND, "--port", "0", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    printed = [process.stdout.readline() for _ in range(4)]
    try:
        announced = re.search(r"listening on (http://\S+)/open_api/v1\.3", printed[0])
        if announced is None:
            pytest.fail(f"the sandbox did not start: {printed}")
        yield announced[1], process, printed
    finally:
        process.send_signal(signal.SIGTERM)
        printed.extend(process.communicate(timeout=10)[0].splitlines())


def test_cli_serves_the_api_until_sigterm() -> None:
    switches = ("--access-token", "tok", "--advertiser-id", "123", "--rate-limit", "2")
    with tiktok_sandbox(*switches, "--min-update-size", "10") as (url, process, printed):
        info = requests.get(
            f"{url}/open_api/v1.3/user/info/", headers={"Access-Token": "tok"}, timeout=5
        ).json()
        assert (info["code"], info["data"]["core_user_id"]) == (0, "7100000000000000001")
        codes = [
            requests.get(
                f"{url}/open_api/v1.3/dmp/custom_audience/list/",
                params={"advertiser_id": "123"},
                headers={"Access-Token": "tok"},
                timeout=5,
            ).json()["code"]
            for _ in range(2)
        ]
        assert codes == [0, 40100]  # the window's third call is refused
        options = requests.get(f"{url}/_sandbox/options", timeout=5).json()["options"]
        assert (options["min_update_size"], options["rate_limit"]) == (10, 2)
    output = "\n".join(printed)
    assert f"{url}/open_api/v1.3" in output
    assert "access token: tok" in output
    assert "advertiser id: 123" in output
    assert f"{url}/_sandbox/state" in output
    assert "sandbox stopped" in output
    assert process.returncode == 0


def test_cli_trouble_switches() -> None:
    switches = ("--html-fault-rate", "1", "--latency-ms", "5", "--match-delay", "0.1")
    with tiktok_sandbox(*switches, "--lookalike-delay", "0.2", "--random-seed", "3") as (url, _, _):
        gateway = requests.get(f"{url}/open_api/v1.3/user/info/", timeout=5)
        assert gateway.status_code == 504
        options = requests.get(f"{url}/_sandbox/options", timeout=5).json()["options"]
    assert (options["match_delay_seconds"], options["lookalike_delay_seconds"]) == (0.1, 0.2)
    assert (options["latency_ms"], options["html_fault_rate"]) == (5, 1)


@pytest.mark.parametrize(
    "switch",
    [("--fault-rate", "1.5"), ("--min-update-size", "-1"), ("--advertiser-id", "act_1")],
)
def test_cli_refuses_bad_switches(switch: tuple[str, str]) -> None:
    finished = subprocess.run(
        [*COMMAND, "--port", "0", *switch],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert finished.returncode == 2
    assert "Invalid value" in finished.stderr
