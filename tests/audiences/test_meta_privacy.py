"""No hash leaves the Meta destination: not in errors, tracebacks, pickles, logs or output."""

from __future__ import annotations

import logging
import pickle
import re
import traceback

import pytest
from facebook_business.exceptions import FacebookRequestError

from audiences.errors import DestinationError
from audiences.meta.client import MetaDestination
from audiences.meta.errors import translate_request_error
from tests.audiences.helpers import hashes_of
from tests.fixtures.sandbox import RunningSandbox

HEX_RUN = re.compile(r"[0-9a-fA-F]{64}")


def leaked(text: str, canaries: set[str]) -> set[str]:
    """Canary hashes found in a text (any case)."""
    return {run.lower() for run in HEX_RUN.findall(text)} & canaries


def chain(error: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in found:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


def test_refused_batch_of_10001_leaks_no_hash(
    meta_destination: MetaDestination,
    sandbox: RunningSandbox,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    canaries = hashes_of("canary", 10_001)
    seed_id = meta_destination.create_seed(name="privacy", description="")
    session = meta_destination.start_session(estimated_total=len(canaries))

    with pytest.raises(DestinationError) as raised:
        meta_destination.upload_batch(
            seed_id, canaries, session=session, batch_seq=1, last_batch=True
        )

    error = raised.value
    assert (error.code, error.transient) == (100, False)
    assert error.__cause__ is None
    assert error.__context__ is None
    assert chain(error) == [error]
    texts = {
        "str": str(error),
        "repr": repr(error),
        "args": repr(error.args),
        "traceback": "".join(traceback.format_exception(error)),
        "pytest repr": str(raised.getrepr()),
        "logs": caplog.text + "".join(repr(record.args) for record in caplog.records),
        "pickle": pickle.dumps(error).decode("latin-1"),
    }
    out, err = capfd.readouterr()
    texts |= {"stdout": out, "stderr": err}
    canary_set = set(canaries)
    assert {where: leaked(text, canary_set) for where, text in texts.items()} == {
        where: set() for where in texts
    }
    # The platform kept nothing of the refused batch either.
    assert sandbox.received(seed_id)["added"] == []


def test_removals_and_token_stay_out_of_urls_and_debug_logs(
    meta_destination: MetaDestination,
    sandbox: RunningSandbox,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    canaries = hashes_of("removal-canary", 20)
    seed_id = meta_destination.create_seed(name="privacy-removal", description="")
    meta_destination.remove_batch(seed_id, canaries)

    assert sandbox.received(seed_id)["removed"] == canaries  # they did travel, in a body
    assert any("urllib3" in record.name for record in caplog.records)  # and urllib3 did log
    logged = caplog.text
    assert leaked(logged, set(canaries)) == set()
    assert sandbox.access_token not in logged
    removal = sandbox.requests()[-1]
    assert (removal["method"], removal["query"], removal["has_body"]) == ("DELETE", "", True)


def test_an_error_message_from_meta_is_not_repeated() -> None:
    canary = hashes_of("echo", 1)[0]
    body = (
        '{"error": {"message": "Invalid entry ' + canary + ' for someone@example.org",'
        ' "code": 100, "type": "OAuthException"}}'
    )
    sdk_error = FacebookRequestError("failed", {"params": {"data": [canary]}}, 400, {}, body)
    assert canary in str(sdk_error)  # the SDK's own text holds the params

    translated = translate_request_error(sdk_error, "Uploading")
    assert canary not in str(translated)
    assert "someone@example.org" not in str(translated)
    assert "Invalid entry" not in str(translated)
