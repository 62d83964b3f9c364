"""The run form: deployments made from ``prefect.yaml`` refuse bad parameters at run creation."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast
from uuid import UUID

import pytest
import yaml
from prefect.client.orchestration import get_client
from prefect.deployments.runner import RunnerDeployment
from prefect.exceptions import PrefectHTTPStatusError
from prefect.flows import Flow, load_flow_from_entrypoint

ROOT = Path(__file__).resolve().parents[2]
GOOD = {"destination": "meta", "country": "FR", "ratio": 0.02, "dry_run": False}


def deploy_from_prefect_yaml(name: str) -> UUID:
    """Deployment ``name`` of ``prefect.yaml``, created on the server as ``prefect deploy`` does."""
    document = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    [entry] = [d for d in document["deployments"] if d["name"] == name]
    flow: Flow[..., Any] = load_flow_from_entrypoint(str(ROOT / entry["entrypoint"]), False)
    deployment = cast(
        RunnerDeployment,
        flow.to_deployment(
            name=entry["name"],
            parameters=entry["parameters"],
            enforce_parameter_schema=entry["enforce_parameter_schema"],
            tags=entry["tags"],
        ),
    )
    return cast(UUID, deployment.apply())  # sync outside an event loop


def create_run(deployment_id: UUID, export: dict[str, Any]) -> UUID:
    with get_client(sync_client=True) as client:
        run = client.create_flow_run_from_deployment(deployment_id, parameters={"export": export})
        return run.id


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_server")
@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"ratio": 0.5}, "0.5 is not one of"),
        ({"ratio": 0.015}, "0.015 is not one of"),
        ({"country": "France"}, "'France' does not match"),
        ({"destination": "google"}, "'google' is not one of ['meta', 'tiktok']"),
        ({"size": "huge"}, "'huge' is not one of ['balanced', 'broad', 'narrow']"),
        ({"max_seed_age_hours": 0}, "less than or equal to the minimum of 0"),
        ({"recipients": "x"}, "Additional properties are not allowed"),
    ],
    ids=[
        "ratio 0.5",
        "ratio 0.015",
        "country France",
        "destination google",
        "size huge",
        "age 0",
        "extra",
    ],
)
def test_the_server_refuses_a_bad_run_at_creation_with_a_readable_message(
    change: dict[str, Any], words: str
) -> None:
    deployment_id = deploy_from_prefect_yaml("on-demand")

    with pytest.raises(PrefectHTTPStatusError) as refused:
        create_run(deployment_id, GOOD | change)

    assert 400 <= refused.value.response.status_code < 500
    assert words in refused.value.response.text


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_server")
def test_a_good_run_is_created_and_a_field_left_out_is_the_setting() -> None:
    deployment_id = deploy_from_prefect_yaml("on-demand")

    assert create_run(deployment_id, GOOD)
    assert create_run(deployment_id, {"country": "NL", "ratio": 0.07})
    tiktok = deploy_from_prefect_yaml("tiktok-on-demand")
    assert create_run(tiktok, {"destination": "tiktok", "country": "DE", "size": "narrow"})


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_server")
def test_deployments_are_tagged_for_the_product_their_kind_and_platform() -> None:
    with get_client(sync_client=True) as client:
        tags = {
            name: set(client.read_deployment(deploy_from_prefect_yaml(name)).tags)
            for name in ("weekly", "on-demand", "tiktok-on-demand", "every-15-minutes")
        }
    assert tags == {
        "weekly": {"audience-export", "weekly", "meta"},
        "on-demand": {"audience-export", "on-demand", "meta"},
        "tiktok-on-demand": {"audience-export", "on-demand", "tiktok"},
        "every-15-minutes": {"audience-export", "reconcile"},
    }
