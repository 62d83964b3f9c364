"""Notifications: one webhook block and the automations that send to it (``prefect setup``).

Idempotent: running it again updates the block and the automations in place.
The webhook URL is kept in the block's secrets, never in its plain fields, a
parameter or a log line. Messages carry run names, ids, states and the
product's own words only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast
from uuid import UUID

from prefect.blocks.notifications import CustomWebhookNotificationBlock
from prefect.blocks.system import Secret
from prefect.client.orchestration import get_client
from prefect.events.actions import SendNotification
from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture
from prefect.types import SecretDict
from pydantic import SecretStr

from pipelines.flows.events import OVERDUE_EVENT, READY_EVENT

BLOCK_NAME = "audience-export-webhook"
FLOW_NAMES = ("lookalike-export", "reconcile-audiences")
PRODUCT_RESOURCES = {"prefect.resource.id": "audience-export.export.*"}


@dataclass(frozen=True)
class Notice:
    """One automation: its name, what triggers it, and the message sent."""

    name: str
    trigger: EventTrigger
    subject: str
    body: str


NOTICES = (
    Notice(
        name="audience-export: run failed or crashed",
        trigger=EventTrigger(
            expect={"prefect.flow-run.Failed", "prefect.flow-run.Crashed"},
            match_related={"prefect.resource.role": "flow", "prefect.resource.name": FLOW_NAMES},
            posture=Posture.Reactive,
            threshold=1,
        ),
        subject="audience-export: flow run {{ event.resource.name }} did not finish",
        body=(
            "Flow run {{ event.resource.name }} ended {{ event.event.split('.')[-1] }}: "
            "{{ flow_run.state.message }}"
        ),
    ),
    Notice(
        name="audience-export: seed overdue",
        trigger=EventTrigger(
            expect={OVERDUE_EVENT}, match=PRODUCT_RESOURCES, posture=Posture.Reactive, threshold=1
        ),
        subject="audience-export: export {{ event.payload.export_id }} needs a person",
        body=(
            "Export {{ event.payload.export_id }} ({{ event.payload.platform }}) is "
            "{{ event.payload.kind }} (deadline {{ event.payload.deadline }}): see the "
            "reconcile-audiences run and `audience-export ledger`."
        ),
    ),
    Notice(
        name="audience-export: lookalike ready",
        trigger=EventTrigger(
            expect={READY_EVENT}, match=PRODUCT_RESOURCES, posture=Posture.Reactive, threshold=1
        ),
        subject="audience-export: lookalike {{ event.payload.lookalike_audience_id }} is ready",
        body=(
            "The lookalike audience {{ event.payload.lookalike_audience_id }} of export "
            "{{ event.payload.export_id }} ({{ event.payload.platform }} account "
            "{{ event.payload.ad_account }}, {{ event.payload.country }}, size "
            "{{ event.payload.size }}) is ready to use in ad sets."
        ),
    ),
)


def secret_value(block_name: str) -> str:
    """The value of a Prefect Secret block, read now (never stored elsewhere)."""
    secret = cast(Secret[str], Secret.load(block_name))  # sync outside an event loop
    return str(secret.get())


def save_webhook(url: SecretStr) -> UUID:
    """Create or update the webhook block; the URL goes into its secrets."""
    block = CustomWebhookNotificationBlock(
        name=BLOCK_NAME,
        url="{{webhook_url}}",
        json_data={"subject": "{{subject}}", "text": "{{body}}"},
        secrets=SecretDict({"webhook_url": url.get_secret_value()}),
    )
    return cast(UUID, block.save(BLOCK_NAME, overwrite=True))  # sync outside an event loop


def set_up_notifications(url: SecretStr) -> list[str]:
    """The webhook block and every automation of :data:`NOTICES`; their names."""
    block_id = save_webhook(url)
    with get_client(sync_client=True) as client:
        for notice in NOTICES:
            wanted = AutomationCore(
                name=notice.name,
                description="Managed by `audience-export prefect setup`.",
                trigger=notice.trigger,
                actions=[
                    SendNotification(
                        block_document_id=block_id, subject=notice.subject, body=notice.body
                    )
                ],
            )
            existing = client.read_automations_by_name(notice.name)
            if existing:
                client.update_automation(existing[0].id, wanted)
            else:
                client.create_automation(wanted)
    return [BLOCK_NAME, *(notice.name for notice in NOTICES)]
