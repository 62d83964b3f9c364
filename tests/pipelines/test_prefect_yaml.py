"""``prefect.yaml`` stays true to the flows: entrypoints import, parameters validate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from prefect.flows import load_flow_from_entrypoint

from audiences.registry import PLATFORMS

ROOT = Path(__file__).resolve().parents[2]


def deployments() -> list[dict[str, Any]]:
    document = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    return list(document["deployments"])


def test_the_deployments_exist_with_their_schedules() -> None:
    by_name = {
        (load_flow_from_entrypoint(str(ROOT / d["entrypoint"]), False).name, d["name"]): d
        for d in deployments()
    }
    assert set(by_name) == {
        ("lookalike-export", "weekly"),
        ("lookalike-export", "on-demand"),
        ("lookalike-export", "tiktok-on-demand"),
        ("reconcile-audiences", "every-15-minutes"),
    }
    weekly = by_name["lookalike-export", "weekly"]["schedules"]
    assert weekly == [{"cron": "0 6 * * 1", "timezone": "Europe/Amsterdam", "active": True}]
    assert "schedules" not in by_name["lookalike-export", "on-demand"]
    assert "schedules" not in by_name["lookalike-export", "tiktok-on-demand"]
    assert by_name["reconcile-audiences", "every-15-minutes"]["schedules"][0]["interval"] == 900
    assert {d["work_pool"]["name"] for d in deployments()} == {"audience-export"}


@pytest.mark.parametrize("deployment", deployments(), ids=lambda d: d["name"])
def test_entrypoint_imports_and_parameters_validate(deployment: dict[str, Any]) -> None:
    flow = load_flow_from_entrypoint(str(ROOT / deployment["entrypoint"]), False)
    validated = flow.validate_parameters(deployment.get("parameters") or {})
    assert set(validated) <= set(flow.parameters.properties)


@pytest.mark.parametrize("deployment", deployments(), ids=lambda d: d["name"])
def test_every_deployment_enforces_its_schema_and_is_tagged(deployment: dict[str, Any]) -> None:
    assert deployment["enforce_parameter_schema"] is True
    assert "audience-export" in deployment["tags"]
    destination = (deployment.get("parameters") or {}).get("export", {}).get("destination")
    if destination is not None:
        assert destination in PLATFORMS
        assert destination in deployment["tags"]
