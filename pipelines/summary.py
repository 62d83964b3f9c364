"""The run summary: what an export did, in counts, ids and states only."""

from __future__ import annotations

from audiences.endpoint import Environment
from audiences.ledger import ExportRecord
from audiences.registry import PLATFORMS

COUNT_LABELS = (
    ("eligible", "eligible accounts"),
    ("no_consent", "left out: no consent"),
    ("invalid", "invalid addresses"),
    ("suppressed", "suppressed (objections)"),
    ("not_utf8", "e-mails not valid UTF-8 in the source"),
    ("duplicates", "duplicates"),
    ("uploaded", "uploaded"),
    ("received", "received by the platform"),
    ("rejected_by_platform", "rejected by the platform"),
    ("matched_lower_bound", "matched (approx., lower bound)"),
    ("matched_upper_bound", "matched (approx., upper bound)"),
    ("lookalike_lower_bound", "lookalike size (approx., lower bound)"),
    ("lookalike_upper_bound", "lookalike size (approx., upper bound)"),
)


def summary_rows(record: ExportRecord) -> list[tuple[str, str]]:
    """(label, value) pairs describing one export, for tables and artifacts."""
    rows: list[tuple[str, str]] = [
        environment_row(record),
        ("export", record.export_id),
        ("destination", destination_label(record)),
        ("lookalike", f"{record.country}, {record.size.describe()}"),
        ("state", str(record.state)),
    ]
    if record.legal is not None:
        rows.append(("legal basis", record.legal.describe()))
    if record.dry_run:
        rows.append(("dry run", "yes: nothing was sent to the platform"))
    rows += [
        (label, str(record.counts[key])) for key, label in COUNT_LABELS if key in record.counts
    ]
    rows += [
        (f"invalid: {key.removeprefix('invalid_')}", str(value))
        for key, value in sorted(record.counts.items())
        if key.startswith("invalid_")
    ]
    optional = (
        ("late objections removed from the seed", _late(record)),
        ("seed audience", _named(record.seed_audience_id, record.seed_name)),
        ("lookalike audience", _named(record.lookalike_audience_id, lookalike_name(record))),
        ("audiences in the platform", audience_manager(record)),
        ("register version", record.register_version),
        ("Prefect flow run", record.run_id),
        ("failure", record.failure_reason),
        ("seed deletion verified", _proof(record)),
    )
    rows += [(label, value) for label, value in optional if value]
    return rows


def lookalike_name(record: ExportRecord) -> str:
    """The lookalike's name on the platform, readable in its audience manager.

    Found again by it after a crash, so it is built from the export alone:
    ``audience-export lookalike FR 2% 2026-12-07 <export id>``.
    """
    return (
        f"audience-export lookalike {record.country} {record.size.describe()} "
        f"{record.created_at:%Y-%m-%d} {record.export_id}"
    )


def audience_manager(record: ExportRecord) -> str | None:
    """Where marketing finds the audiences, for a production export on a known platform."""
    known = PLATFORMS.get(record.destination)
    endpoint = record.endpoint
    if known is None or known.audience_manager_url is None or endpoint is None:
        return None
    if endpoint.environment is not Environment.PRODUCTION:
        return None
    return known.audience_manager_url(record.ad_account)


def destination_label(record: ExportRecord) -> str:
    """Platform and ad account as people see them in the platform's UI (``meta act_1``)."""
    known = PLATFORMS.get(record.destination)
    account = known.show_account(record.ad_account) if known else record.ad_account
    return f"{record.destination} {account}"


def environment_row(record: ExportRecord) -> tuple[str, str]:
    """The first row: where the export went — a sandbox says so before anything else."""
    endpoint = record.endpoint
    if endpoint is None or endpoint.environment is Environment.UNKNOWN:
        return ("environment", "unknown (recorded before exports were bound to endpoints)")
    if endpoint.environment is Environment.SANDBOX:
        return ("environment", f"SANDBOX at {endpoint.base_url}: no real ad platform was used")
    return ("environment", f"production at {endpoint.base_url} as {endpoint.credential}")


def _named(audience_id: str | None, name: str) -> str | None:
    return None if audience_id is None else f"{audience_id} ({name})"


def _late(record: ExportRecord) -> str | None:
    removed = record.counts.get("late_objections_removed")
    return None if removed is None else str(removed)


def _proof(record: ExportRecord) -> str | None:
    """The deletion proof, worded as the success it is: the platform's answer and when."""
    if record.seed_deleted_at is None:
        return None
    return f"{record.deletion_answer} at {record.seed_deleted_at:%Y-%m-%d %H:%M:%S} UTC"


def summary_markdown(records: list[ExportRecord]) -> str:
    """A Markdown report of several exports (a Prefect artifact)."""
    sections = []
    for record in records:
        lines = ["| | |", "|---|---|"]
        lines += [f"| {label} | {value} |" for label, value in summary_rows(record)]
        sections.append("\n".join(lines))
    return "\n\n".join(sections) or "No export to report."
