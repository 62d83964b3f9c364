"""Why a database connection failed, in the product's words: a TCP probe of the server.

libpq's connection messages quote the host and the server's answer; the product
probes the configured host and port itself instead, and says whether the name
resolves, the port answers, or the server refused the session.
"""

from __future__ import annotations

import os
import socket

import adbc_driver_manager

from pipelines.sources.errors import driver_failure, error_class
from pipelines.sources.locations import PostgresDatabase, SqliteFile

PROBE_SECONDS = 3.0


def why_unconnected(
    location: SqliteFile | PostgresDatabase, error: adbc_driver_manager.Error
) -> str:
    """Why a connection failed, found by the product itself: a TCP probe of the server."""
    if not isinstance(location, PostgresDatabase) or location.host is None:
        return driver_failure(error)
    address = f"{location.host}:{location.port}"
    try:
        with socket.create_connection((location.host, location.port), timeout=PROBE_SECONDS):
            pass
    except socket.gaierror:
        reason = f"the host name {location.host} does not resolve"
    except TimeoutError:
        reason = f"{address} did not answer within {PROBE_SECONDS:g} s"
    except OSError as refused:
        words = os.strerror(refused.errno) if refused.errno else type(refused).__name__
        reason = f"{address} cannot be reached ({words.lower()})"
    else:
        reason = (
            f"the server at {address} answers but refused the session: "
            "check the database name, user, password and TLS settings"
        )
    return f"{reason} ({error_class(error)})"
