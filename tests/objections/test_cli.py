"""Every ``audience-export objections`` command as the privacy officer runs it, on both backends."""

from __future__ import annotations

import base64
import csv
import io
import json
import secrets
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from pipelines.cli import app

Run = Callable[..., Result]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, register_url: str) -> Run:
    """``audience-export objections ARGS`` on embedded defaults in ``tmp_path``, on each backend."""
    monkeypatch.setenv("AUDIENCE_EXPORT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AUDIENCE_EXPORT_OBJECTIONS_URL", register_url)
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, ["objections", *args])

    return invoke


@pytest.fixture
def run(cli: Run) -> Run:
    """:func:`cli` once ``objections init`` has created the register."""
    created = cli("init")
    assert created.exit_code == 0, created.output
    return cli


def test_nothing_works_before_init_which_creates_register_and_keys_once(
    cli: Run, tmp_path: Path, register_url: str
) -> None:
    for command in (["add", "a@example.com", "--channel", "email"], ["check", "a@example.com"]):
        refused = cli(*command)
        assert refused.exit_code == 2
        assert "no objection register at" in refused.stderr
        assert "`audience-export objections init`" in refused.stderr
    assert not (tmp_path / "home").exists()
    assert not (tmp_path / "database.sqlite").exists()
    created = cli("init")
    assert created.exit_code == 0, created.output
    key_file = tmp_path / "home" / "register-keys.json"
    assert f"generated new register keys in {key_file} (mode 0600)" in created.stderr
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert created.stdout.startswith(f"created the objection register at {register_url}")
    identity = created.stdout.split("(identity ")[1].rstrip(")\n")
    again = cli("init")
    assert again.exit_code == 0
    assert f"exists already (identity {identity}); nothing was changed" in again.stdout
    assert "generated" not in again.stderr
    result = cli("add", "Jane <Jane.Doe+x@GoogleMail.com>", "--channel", "email")
    assert "recorded objection 1: suppressed from now on" in result.stdout
    duplicate = cli("add", "janedoe@gmail.com", "--channel", "phone")
    assert (duplicate.exit_code, duplicate.stdout.strip()) == (0, "already registered as 1")


def test_a_scope_names_all_or_a_platform_the_product_exports_to(run: Run) -> None:
    refused = run("add", "x@y.example", "--channel", "email", "--scope", "facebook")
    assert refused.exit_code == 2
    assert "scope must be 'all' or platforms among: meta, tiktok (got 'facebook')" in refused.stderr
    assert run("list", "--format", "json").stdout.strip() == "[]"
    unknown = run("check", "x@y.example", "--platform", "google")
    assert unknown.exit_code == 2
    assert "platforms among: meta, tiktok" in unknown.stderr


def test_check_answers_per_platform_and_exits_0_only_if_suppressed_everywhere(run: Run) -> None:
    run("add", "jane.doe@gmail.com", "--channel", "email", "--scope", "meta")
    hit = run("check", " J.A.N.E.DOE+promo@googlemail.com ")
    assert (hit.exit_code, hit.stdout) == (
        1,
        "suppressed for meta: objection 1 (received, scope meta)\nnot suppressed for tiktok\n",
    )
    run("add", "zoe@example.com", "--channel", "email")
    everywhere = run("check", "Zoe@Example.com")
    assert everywhere.exit_code == 0
    assert everywhere.stdout.startswith("suppressed for all platforms: objection 2 (received")
    miss = run("check", "john@gmail.com")
    assert (miss.exit_code, miss.stdout) == (
        1,
        "not suppressed for meta\nnot suppressed for tiktok\n",
    )
    only = run("check", "jane.doe@gmail.com", "--platform", "meta")
    assert only.exit_code == 0
    bad = run("check", "jane@")
    assert bad.exit_code == 2
    assert "'jane@' is not a usable e-mail address: nothing after the @" in bad.stderr


def test_review_commands_and_show(run: Run) -> None:
    run("add", "a@example.com", "--channel", "letter", "--evidence", "T-42", "--by", "amy")
    refused = run("withdraw", "1", "--by", "bob", "--note", "asked")
    assert refused.exit_code == 2
    assert "verify the person's identity first" in refused.stderr
    no_method = run("verify", "1", "--by", "bob")
    assert no_method.exit_code == 2
    assert "--method" in no_method.stderr
    no_evidence = run("verify", "1", "--by", "bob", "--method", "in_person")
    assert "needs a note" in no_evidence.stderr
    verified = run("verify", "1", "--by", "bob", "--method", "in_person", "--note", "ID seen")
    assert verified.stdout.strip() == "objection 1 is verified"
    no_note = run("withdraw", "1", "--by", "bob")
    assert no_note.exit_code == 2
    assert "note" in no_note.stderr
    requested = run("withdraw", "1", "--by", "bob", "--note", "wants ads")
    assert "still suppresses until another reviewer confirms" in requested.stdout
    assert run("check", "a@example.com").exit_code == 0
    same_eyes = run("withdraw", "1", "--by", "bob", "--note", "again")
    assert same_eyes.exit_code == 2
    assert "second reviewer" in same_eyes.stderr
    done = run("withdraw", "1", "--by", "carol", "--note", "confirmed by phone")
    assert "no longer suppresses" in done.stdout
    assert run("check", "a@example.com").exit_code == 1
    run("add", "b@example.com", "--channel", "web_form")
    rejected = run("reject", "2", "--by", "bob", "--note", "no ID")
    assert "still suppresses" in rejected.stdout
    assert run("check", "b@example.com").exit_code == 0
    shown = run("show", "1")
    assert shown.exit_code == 0
    for expected in ("withdrawn", "T-42", "amy", "recorded", "verified (in_person)", "wants ads"):
        assert expected in shown.stdout
    assert "a@example.com" not in shown.stdout
    assert run("show", "1", "--address").exit_code == 2  # no reason given
    assert "a@example.com" in run("show", "1", "--address", "--reason", "DSAR 7").stdout
    missing = run("show", "9")
    assert (missing.exit_code, missing.stderr.strip()) == (2, "error: no objection has id 9")


def test_import_keeps_valid_lines_names_bad_ones_and_is_idempotent(
    run: Run, tmp_path: Path
) -> None:
    file = tmp_path / "objections.csv"
    file.write_text(
        "address,channel,received_at,evidence,note,scope\n"
        "jane.doe@gmail.com,email,2025-03-01,T-1,,\n"
        "not-an-address,email,,,,\n"
        "john@example.com,fax,,,,\n"
        "JaneDoe+x@googlemail.com,phone,,,,\n"
        "zoe@example.com,letter,2025-03-02T10:00:00+01:00,,by post,meta\n"
        "fb@example.com,email,,,,facebook\n",
        encoding="utf-8",
    )
    first = run("import", str(file))
    assert first.exit_code == 1
    assert first.stdout.strip() == "recorded 2, already registered 1, refused 3"
    assert "line 3: 'not-an-address': no @ sign" in first.stderr
    assert "line 4: 'john@example.com': unknown channel 'fax'" in first.stderr
    assert (
        "line 7: 'fb@example.com': scope must be 'all' or platforms among: meta, tiktok "
        "(got 'facebook')"
    ) in first.stderr
    second = run("import", str(file))
    assert second.stdout.strip() == "recorded 0, already registered 3, refused 3"
    listed = json.loads(run("list", "--format", "json").stdout)
    assert [(row["id"], row["scope"], row["received_at"]) for row in listed] == [
        ("1", "all", "2025-03-01T00:00:00+00:00"),
        ("2", "meta", "2025-03-02T09:00:00+00:00"),
    ]
    assert "address" not in listed[0]


def test_list_filters_and_formats(run: Run) -> None:
    run("add", "old@example.com", "--channel", "email", "--received-at", "2024-01-01")
    run("add", "new@example.com", "--channel", "email")
    run("verify", "2", "--by", "bob", "--method", "signed_letter", "--note", "letter L-9")
    table = run("list")
    assert table.exit_code == 0
    assert "verified" in table.stdout
    assert "@example.com" not in table.stdout
    verified = list(
        csv.DictReader(io.StringIO(run("list", "--status", "verified", "--format", "csv").stdout))
    )
    assert [row["id"] for row in verified] == ["2"]
    assert verified[0]["address"] == ""
    recent = json.loads(
        run(
            "list", "--since", "2025-01-01", "--format", "json", "--addresses", "--reason", "audit"
        ).stdout
    )
    assert [row["address"] for row in recent] == ["new@example.com"]
    bad = run("list", "--since", "yesterday")
    assert bad.exit_code == 2


def test_export_decrypts_for_the_officer(run: Run, tmp_path: Path) -> None:
    run("add", "Zoë <zoe@example.com>", "--channel", "account_settings", "--note", "settings page")
    assert run("export").exit_code == 2  # a decryption says why
    exported = run("export", "--format", "csv", "--reason", "auditor asked")
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert [(row["address"], row["channel"], row["note"]) for row in rows] == [
        ("Zoë <zoe@example.com>", "account_settings", "settings page")
    ]
    target = tmp_path / "export.csv"
    assert run("export", "--output", str(target), "--reason", "backup").exit_code == 0
    assert target.stat().st_mode & 0o777 == 0o600
    assert "zoe@example.com" in target.read_text(encoding="utf-8")


def test_stats_and_rotate_keys(run: Run) -> None:
    for address in ("a@example.com", "b@gmail.com", "c@example.com"):
        run("add", address, "--channel", "email")
    run("reject", "3", "--by", "bob", "--note", "no ID")
    before = run("stats").stdout
    assert "objections: 3" in before
    assert "suppressing: 3" in before
    assert "  rejected: 1" in before
    assert run("rotate-keys").exit_code != 0  # not confirmed: nothing rotated
    rotated = run("rotate-keys", "--yes")
    assert rotated.exit_code == 0
    assert rotated.stdout.startswith("re-encrypted 3 objections under key ")
    after = run("stats").stdout
    assert after.splitlines()[-1] != before.splitlines()[-1]  # the version changed
    assert run("check", "B+x@GMAIL.com").exit_code == 0
    exported = run("export", "--reason", "after rotation").stdout
    assert "a@example.com" in exported
    assert "c@example.com" in exported


def test_configured_keys_are_never_generated(
    run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AUDIENCE_EXPORT_OBJECTIONS_KEY_FILE", str(tmp_path / "missing.json"))
    result = run("list")
    assert result.exit_code == 2
    assert "AUDIENCE_EXPORT_OBJECTIONS_ENCRYPTION_KEY" in result.stderr
    assert "AUDIENCE_EXPORT_OBJECTIONS_INDEX_KEY" in result.stderr
    assert "missing.json" in result.stderr
    assert not (tmp_path / "missing.json").exists()


def test_an_unreadable_key_file_is_named(
    run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    broken.chmod(0o600)
    monkeypatch.setenv("AUDIENCE_EXPORT_OBJECTIONS_KEY_FILE", str(broken))
    result = run("list")
    assert result.exit_code == 2
    assert f"key file {broken} is not a register key file" in result.stderr


def test_index_key_alone_checks_but_never_decrypts(
    cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pipeline host holds only the index key: it can suppress, not read addresses."""
    encryption, index = (base64.b64encode(secrets.token_bytes(32)).decode() for _ in range(2))
    monkeypatch.setenv("AUDIENCE_EXPORT_OBJECTIONS_ENCRYPTION_KEY", encryption)
    monkeypatch.setenv("AUDIENCE_EXPORT_OBJECTIONS_INDEX_KEY", index)
    assert cli("init").exit_code == 0
    assert cli("add", "a@example.com", "--channel", "email").exit_code == 0
    run = cli
    monkeypatch.delenv("AUDIENCE_EXPORT_OBJECTIONS_ENCRYPTION_KEY")
    assert run("check", "A@example.com").exit_code == 0
    assert run("list").exit_code == 0
    refused = run("export", "--reason", "audit")
    assert refused.exit_code == 2
    assert "encryption key is not available" in refused.stderr
    assert run("rotate-keys", "--yes").exit_code == 2


def test_a_key_file_others_may_read_is_refused_with_the_chmod_to_run(
    run: Run, tmp_path: Path
) -> None:
    key_file = tmp_path / "home" / "register-keys.json"
    key_file.chmod(0o640)
    refused = run("list")
    assert refused.exit_code == 2
    assert f"key file {key_file} has mode 0640" in refused.stderr
    assert f"run: chmod 600 {key_file}" in refused.stderr
    key_file.chmod(0o600)
    assert run("list").exit_code == 0
