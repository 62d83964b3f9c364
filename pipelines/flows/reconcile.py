"""The ``reconcile-audiences`` flow: advance every unfinished export in the ledger.

It waits for matching, creates lookalikes, deletes seeds and verifies their
deletion; it deletes any seed older than its export's maximum age even if the
lookalike is not ready, the seed of any export whose lease expired, and seeds
named like this product's that no unfinished export owns. It ends Failed —
and emits ``audience-export.seed.overdue`` — when a seed is past its deadline,
its deletion was refused, or its export is bound to another endpoint.
"""

from __future__ import annotations

from functools import partial

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from audiences.registry import PLATFORMS
from pipelines.errors import ProductError
from pipelines.flows.events import OVERDUE_EVENT, announce_overdue
from pipelines.flows.export import advance_task
from pipelines.flows.secrets import with_secret_tokens
from pipelines.reconcile import ReconcileReport, reconcile
from pipelines.runtime import open_destination, open_runtime, utc_now
from pipelines.settings import Settings, load_settings
from pipelines.summary import summary_markdown

__all__ = ["OVERDUE_EVENT", "ReconcileFailed", "reconcile_audiences"]


class ReconcileFailed(ProductError):
    """Some exports need attention; the message lists them and what to do."""


@flow(name="reconcile-audiences", persist_result=False, log_prints=False)
def reconcile_audiences() -> dict[str, int]:
    """Take every unfinished export as far as the platforms allow now."""
    logger = get_run_logger()
    settings = with_secret_tokens(load_settings())
    with open_runtime(settings) as runtime:
        report = reconcile(
            runtime,
            open_bound=partial(open_destination, settings),
            advance=advance_task,
            clock=utc_now,
            sweep_accounts=sweep_accounts(settings),
        )
        logger.info(
            "%d exports advanced, %d seeds swept, %d late objections removed from live seeds, "
            "%d need attention",
            len(report.advanced),
            len(report.swept),
            report.late_objections_removed,
            len(report.attention),
        )
        if report.advanced or report.attention:
            create_markdown_artifact(
                markdown=reconcile_markdown(report),
                key="reconcile-audiences-summary",
                description="Exports advanced by this run (counts, ids and states only).",
            )
    for item in report.attention:
        logger.error("%s", item.line())
        announce_overdue(item)
    if report.attention:
        raise ReconcileFailed(report.failure_message())
    return {"unfinished": report.unfinished, "finished": report.finished}


def sweep_accounts(settings: Settings) -> list[tuple[str, str]]:
    """The (platform, ad account) pairs swept for orphan seeds: the configured ones."""
    pairs = []
    for name, entry in PLATFORMS.items():
        section = settings.platform_settings(name)
        if section.sandbox_chosen:
            pairs.append((name, section.account or entry.sandbox_account))
        elif section.account is not None and section.token is not None:
            pairs.append((name, section.account))
    return pairs


def reconcile_markdown(report: ReconcileReport) -> str:
    """The run's artifact: what needs attention first, then every export advanced."""
    attention = "\n".join(f"- **{item.kind}** — {item.line()}" for item in report.attention)
    parts = [f"## Needs attention\n\n{attention}"] if attention else []
    parts.append(summary_markdown(report.advanced))
    return "\n\n".join(parts)
