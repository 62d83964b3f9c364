"""Names of flow runs people can read in the Prefect UI: ``meta-FR-2%-weekly``."""

from __future__ import annotations

from prefect.runtime import deployment, flow_run

from audiences.destination import LookalikeSize
from pipelines.admission import ExportParameters, requested
from pipelines.settings import SettingsError, load_settings

IN_PROCESS = "now"
"""The last part of the name of a run started from the command line, not a deployment."""


def export_run_name() -> str:
    """Platform, country, size as given and the deployment (``-dry-run`` appended).

    Fields left out are the settings'; when the settings or the parameters
    cannot be read, the run is still named, from what can be read: a name
    never says ``None`` and never stops a run.
    """
    origin = deployment.name or IN_PROCESS
    try:
        asked = ExportParameters.model_validate(flow_run.parameters.get("export") or {})
    except ValueError:
        return f"export-{origin}"
    try:
        request = requested(load_settings(), asked)
        parts = [request.destination, request.country, request.size.describe()]
    except (SettingsError, ValueError):
        parts = [
            asked.destination or "default",
            asked.country or "default",
            LookalikeSize(ratio=asked.ratio, word=asked.size).describe()
            if asked.ratio is not None or asked.size is not None
            else "default",
        ]
    suffix = "-dry-run" if asked.dry_run else ""
    return "-".join([*parts, origin]) + suffix
