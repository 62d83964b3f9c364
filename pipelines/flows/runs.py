"""Close the Prefect flow run of an export that was taken to have crashed.

A killed process cannot report its own end, so its flow run would show
"Running" for ever. When the reconciler gives such an export up, it sets the
flow run that planned it (recorded in the ledger) to Crashed.
"""

from __future__ import annotations

from uuid import UUID

import httpx
from prefect import get_run_logger
from prefect.client.orchestration import get_client
from prefect.exceptions import ObjectNotFound
from prefect.states import Crashed

from audiences.ledger import ExportRecord


def close_crashed_run(record: ExportRecord) -> None:
    """Mark the export's flow run Crashed; a run this Prefect server never saw is left alone."""
    if record.run_id is None:
        return
    message = (
        f"export {record.export_id} made no progress since "
        f"{record.state_since:%Y-%m-%d %H:%M:%S} UTC; the reconciler deletes its seed"
    )
    try:
        with get_client(sync_client=True) as client:
            client.set_flow_run_state(UUID(record.run_id), Crashed(message=message), force=True)
    except (ObjectNotFound, httpx.HTTPError, ValueError) as error:
        get_run_logger().info(
            "flow run %s of export %s left as it is: %s",
            record.run_id,
            record.export_id,
            type(error).__name__,
        )
