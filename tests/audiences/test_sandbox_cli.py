"""``audience-export sandbox`` as a user starts it: a subprocess on a free port."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from pydantic import SecretStr

from audiences.errors import DestinationError, ErrorKind
from audiences.meta.client import MetaDestination
from audiences.meta.config import MetaConfig

COMMAND = Path(sys.executable).parent / "audience-export"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def sandbox_cli(*options: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    process = subprocess.Popen(
        [str(COMMAND), "sandbox", "--port", str(port), *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(f"{url}/_sandbox/state", timeout=1)
                break
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the sandbox did not start: {process.communicate()[0]}")
                time.sleep(0.05)
        yield url, process
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)


def destination(url: str, **changes: object) -> MetaDestination:
    values: dict[str, object] = {
        "graph_url": url,
        "access_token": SecretStr("sandbox-token"),
        "ad_account": "1000000000000001",
        "max_attempts": 1,
    }
    return MetaDestination(MetaConfig.model_validate(values | changes))


def test_cli_serves_the_sdk_with_latency_and_rate_limit() -> None:
    with sandbox_cli("--latency-ms", "200", "--rate-limit", "3") as (url, process):
        meta = destination(url)
        started = time.monotonic()
        seed_id = meta.create_seed(name="cli", description="")
        assert time.monotonic() - started >= 0.2
        assert meta.match_status(seed_id).state == "processing"

        def list_until_refused() -> None:
            for _ in range(3):  # whichever call is the window's fourth is refused
                meta.list_audiences()

        with pytest.raises(DestinationError) as raised:
            list_until_refused()
        assert (raised.value.code, raised.value.kind) == (80003, ErrorKind.RATE_LIMITED)
        assert raised.value.retry_after_seconds is not None
        assert 0 < raised.value.retry_after_seconds <= 60
    output = process.stdout.read() if process.stdout else ""
    assert f"{url}/v26.0" in output
    assert "sandbox-token" in output
    assert "sandbox stopped" in output
    assert process.returncode == 0


def test_cli_fault_rate_fails_calls_transiently() -> None:
    with sandbox_cli("--fault-rate", "1", "--random-seed", "3") as (url, _):
        with pytest.raises(DestinationError) as raised:
            destination(url).list_audiences()
        assert (raised.value.code, raised.value.kind) == (2, ErrorKind.TRANSIENT)
        assert raised.value.http_status in {500, 503}


def test_cli_app_secret_requires_the_proof() -> None:
    with sandbox_cli("--app-secret", "s3cret", "--access-token", "tok") as (url, _):
        wrong = destination(url, access_token=SecretStr("tok"), app_secret=SecretStr("wrong"))
        with pytest.raises(DestinationError) as raised:
            wrong.list_audiences()
        assert raised.value.kind is ErrorKind.AUTHENTICATION
        ok = destination(url, access_token=SecretStr("tok"), app_secret=SecretStr("s3cret"))
        assert ok.list_audiences() == []


def test_cli_switches_of_a_harsher_meta() -> None:
    switches = (
        "--refuse-seed-delete-with-lookalikes",
        "--removal-floor",
        "5",
        "--session-timeout",
        "30",
        "--max-url-bytes",
        "1024",
        "--html-fault-rate",
        "1",
        "--html-fault-200",
        "--random-seed",
        "4",
    )
    with sandbox_cli(*switches) as (url, _):
        options = requests.get(f"{url}/_sandbox/options", timeout=5).json()["options"]
        assert options["refuse_seed_delete_with_lookalikes"] is True
        assert (options["removal_floor"], options["session_timeout_seconds"]) == (5, 30)
        assert (options["html_fault_rate"], options["html_fault_200"]) == (1, True)
        too_long = requests.get(f"{url}/v26.0/{'1' * 1024}", timeout=5)
        assert too_long.status_code == 414
        assert too_long.headers["Content-Type"].startswith("text/html")
        gateway = requests.get(f"{url}/v26.0/act_1", timeout=5)
        assert gateway.status_code == 200
        assert gateway.headers["Content-Type"].startswith("text/html")


def test_cli_defaults_keep_the_lenient_sandbox() -> None:
    with sandbox_cli() as (url, _):
        options = requests.get(f"{url}/_sandbox/options", timeout=5).json()["options"]
    assert options["refuse_seed_delete_with_lookalikes"] is False
    assert (options["removal_floor"], options["session_timeout_seconds"]) == (0, None)
    assert (options["html_fault_rate"], options["html_fault_200"]) == (0, False)
    assert options["max_url_bytes"] == 16_384


@pytest.mark.parametrize(
    "switch", [("--html-fault-rate", "1.5"), ("--max-url-bytes", "100"), ("--removal-floor", "-1")]
)
def test_cli_refuses_bad_switches(switch: tuple[str, str]) -> None:
    finished = subprocess.run(
        [str(COMMAND), "sandbox", "--port", "0", *switch],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert finished.returncode == 2
    assert switch[0] in finished.stderr


def test_the_platform_option_serves_tiktoks_sandbox_with_its_own_flags() -> None:
    with sandbox_cli("--platform", "tiktok", "--match-delay", "0.1", "--min-update-size", "5") as (
        url,
        _process,
    ):
        options = requests.get(f"{url}/_sandbox/options", timeout=5).json()["options"]
        assert (options["match_delay_seconds"], options["min_update_size"]) == (0.1, 5)
        answer = requests.get(
            f"{url}/open_api/v1.3/dmp/custom_audience/list/",
            params={"advertiser_id": "7000000000000000001"},
            headers={"Access-Token": "sandbox-token"},
            timeout=5,
        ).json()
        assert (answer["code"], answer["data"]["list"]) == (0, [])


def test_an_unknown_platform_is_refused_naming_the_known_ones() -> None:
    refused = subprocess.run(
        [str(COMMAND), "sandbox", "--platform", "google"],
        check=False,
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 2
    assert "unknown platform 'google'; known platforms: meta, tiktok" in refused.stderr


def test_a_port_in_use_fails_with_exit_code_2_whatever_the_platform() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        for platform in ("meta", "tiktok"):
            refused = subprocess.run(
                [str(COMMAND), "sandbox", "--platform", platform, "--port", port],
                check=False,
                capture_output=True,
                text=True,
            )
            assert refused.returncode == 2, platform
            assert f"cannot listen on 127.0.0.1:{port}" in refused.stderr
