"""Test session set-up; fixtures shared by every test folder live in ``tests/fixtures``.

Before anything imports Prefect, every temporary file of the session (Prefect's
home and test database included) is put under one folder, so that the canary
scans can read all of it.
"""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

SESSION_TMP = Path(tempfile.mkdtemp(prefix="audience-export-tests-"))
# Registered first, so it runs last: after Prefect's test harness removed its own folder.
atexit.register(shutil.rmtree, SESSION_TMP, ignore_errors=True)
os.environ["TMPDIR"] = str(SESSION_TMP)
tempfile.tempdir = str(SESSION_TMP)
os.environ["PREFECT_HOME"] = str(SESSION_TMP / "prefect-home")
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["PREFECT_LOGGING_LEVEL"] = "INFO"
for variable in [name for name in os.environ if name.startswith("AUDIENCE_EXPORT_")]:
    if variable != "AUDIENCE_EXPORT_TEST_POSTGRES":
        del os.environ[variable]

pytest_plugins = [
    "tests.fixtures.browser",
    "tests.fixtures.postgres",
    "tests.fixtures.register",
    "tests.fixtures.prefect",
    "tests.fixtures.sandbox",
    "tests.fixtures.tiktok_sandbox",
    "tests.fixtures.exports",
]
