"""Keep query strings out of urllib3's debug log lines, as a second guard.

The transport (:mod:`audiences.meta.transport`) sends no token, proof or hash
in a URL, but the SDK's default transport did, and urllib3 logs each request
URL at DEBUG: this filter cuts every logged URL at its ``?`` before any
handler sees it, whatever sent the request.
"""

from __future__ import annotations

import logging

URLLIB3_LOGGER = "urllib3.connectionpool"


class DropQueryStrings(logging.Filter):
    """Rewrites string arguments of a record to end before their query string."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                arg.split("?", 1)[0] if isinstance(arg, str) else arg for arg in record.args
            )
        if isinstance(record.msg, str) and "?" in record.msg and not record.args:
            record.msg = record.msg.split("?", 1)[0]
        return True


def drop_query_strings_from_urllib3_logs() -> None:
    """Install the filter once on urllib3's connection-pool logger."""
    logger = logging.getLogger(URLLIB3_LOGGER)
    if not any(isinstance(existing, DropQueryStrings) for existing in logger.filters):
        logger.addFilter(DropQueryStrings())
