"""``objections`` commands for the privacy officer, built around a configuration source.

The application that mounts them (``pipelines.cli``) passes a callable that
returns the register configuration, so this package never reads settings itself.
Nothing here prints a hash or digest; addresses are printed only when decrypted
on request, or next to the reason an address the officer typed was refused.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from objections.canonical import InvalidAddress
from objections.config import RegisterConfig
from objections.errors import RegisterError
from objections.journal import Deed, write
from objections.model import Channel, Objection, Scope, Status, VerificationMethod, parse_time
from objections.register import Register
from objections.store import shown_url
from objections.transfer import (
    EXPORT_COLUMNS,
    export_decrypted,
    export_row,
    read_import,
    received_time,
    write_csv,
)

_T = TypeVar("_T")
_SHOWN_ADDRESS = 320
"""Import errors show the address as given up to this length."""


@dataclass(frozen=True)
class RegisterSource:
    """The register configuration, and whether a missing key file may be generated.

    Only the embedded default (a key file in the data folder) should allow it:
    a configured key file that is missing is an error, not a reason for new keys.
    """

    config: RegisterConfig
    create_keys: bool
    four_eyes: bool = True
    """A withdrawal needs a second reviewer's confirmation before it lifts the suppression."""


class ListFormat(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"


class ExportFormat(StrEnum):
    CSV = "csv"


_ById = Annotated[int, typer.Argument(help="Objection id.", show_default=False)]
_By = Annotated[str, typer.Option("--by", help="Who does this (the reviewer).")]
_NoteRequired = Annotated[str | None, typer.Option("--note", help="Why (required).")]
_Note = Annotated[str | None, typer.Option("--note", help="A note for the history.")]
_Reason = Annotated[
    str | None, typer.Option("--reason", help="Why the addresses are decrypted (journaled).")
]
_Recorder = Annotated[
    str | None, typer.Option("--by", help="Who records it (default: your login name).")
]


def build_app(source: Callable[[], RegisterSource]) -> typer.Typer:
    """The ``objections`` command group, opening the register ``source`` describes."""
    app = typer.Typer(
        name="objections",
        help="The objection register: record, review, check and export objections.",
        no_args_is_help=True,
    )
    commands = _Commands(source)
    for name, command in (
        ("init", commands.init),
        ("add", commands.add),
        ("import", commands.import_),
        ("list", commands.list_),
        ("show", commands.show),
        ("verify", commands.verify),
        ("reject", commands.reject),
        ("withdraw", commands.withdraw),
        ("check", commands.check),
        ("export", commands.export),
        ("stats", commands.stats),
        ("rotate-keys", commands.rotate_keys),
    ):
        app.command(name)(command)
    return app


class _Commands:
    """Each public method is one command; each opens the register for its own run."""

    def __init__(self, source: Callable[[], RegisterSource]) -> None:
        self._source = source

    @contextmanager
    def _register(self) -> Iterator[Register]:
        """The existing register; exit 2 naming the ``init`` command when there is none."""
        try:
            opened = Register.open(self._source().config)
        except RegisterError as error:
            _fail(str(error))
        with self._opened(opened) as ready:
            yield ready

    @contextmanager
    def _opened(self, opened: Register) -> Iterator[Register]:
        """Say what opening did (keys generated, migrations' notes); close at the end."""
        if opened.generated_key_file is not None:
            typer.echo(
                f"generated new register keys in {opened.generated_key_file} (mode 0600); "
                "keep a safe copy: without them the register cannot be read",
                err=True,
            )
        for note in opened.migration_notes:
            typer.echo(f"register migration: {note}", err=True)
        try:
            yield opened
        except RegisterError as error:
            _fail(str(error))
        finally:
            opened.close()

    def init(self) -> None:
        """Create the objection register (and its keys, on the embedded default); once."""
        chosen = self._source()
        try:
            created = Register.init(chosen.config, create_keys=chosen.create_keys)
        except RegisterError as error:
            _fail(str(error))
        where = shown_url(chosen.config.url)
        with self._opened(created) as opened:
            if opened.created:
                typer.echo(
                    f"created the objection register at {where} (identity {opened.identity})"
                )
            else:
                typer.echo(
                    f"the objection register at {where} exists already "
                    f"(identity {opened.identity}); nothing was changed"
                )

    def add(
        self,
        address: Annotated[str, typer.Argument(help="The e-mail address, as given.")],
        *,
        channel: Annotated[Channel, typer.Option(help="How the objection arrived.")],
        received_at: Annotated[
            str | None, typer.Option(help="When it arrived (ISO 8601, UTC by default; now).")
        ] = None,
        evidence: Annotated[str | None, typer.Option(help="Ticket or letter reference.")] = None,
        note: _Note = None,
        scope: Annotated[str, typer.Option(help="'all' or platform names: meta,tiktok")] = "all",
        by: _Recorder = None,
    ) -> None:
        """Record an objection; it suppresses from now on."""
        received = _parsed(received_time, received_at)
        chosen = _parsed(partial(Scope.chosen, platforms=self._source().config.platforms), scope)
        with self._register() as opened:
            try:
                added = opened.add(
                    address,
                    channel=channel,
                    by=by or getpass.getuser(),
                    received_at=received,
                    evidence=evidence,
                    note=note,
                    scope=chosen,
                )
            except InvalidAddress as error:
                _fail(f"{address!r} is not a usable e-mail address: {error.reason}")
        if added.duplicate:
            typer.echo(f"already registered as {added.objection_id}")
        else:
            typer.echo(f"recorded objection {added.objection_id}: suppressed from now on")

    def import_(
        self,
        file: Annotated[Path, typer.Argument(help="CSV file with a header row.", dir_okay=False)],
        by: _Recorder = None,
    ) -> None:
        """Record every valid line of a CSV file (UTF-8; columns: address, channel, received_at,
        evidence, note, scope); bad lines are listed and exit 1, duplicates counted."""
        platforms = self._source().config.platforms
        try:
            with file.open("rb") as stream:
                parsed = read_import(stream, platforms)
        except OSError as error:
            _fail(f"cannot read {file}: {error.strerror}")
        except RegisterError as error:
            _fail(f"{file}: {error}")
        with self._register() as opened:
            results = opened.add_many(parsed.entries, by=by or getpass.getuser())
        for problem in parsed.errors:
            typer.echo(f"line {problem.line}: {_given(problem.address)}{problem.reason}", err=True)
        duplicates = sum(result.duplicate for result in results)
        typer.echo(
            f"recorded {len(results) - duplicates}, already registered {duplicates}, "
            f"refused {len(parsed.errors)}"
        )
        if parsed.errors:
            raise typer.Exit(code=1)

    def list_(
        self,
        status: Annotated[Status | None, typer.Option(help="Only this status.")] = None,
        since: Annotated[str | None, typer.Option(help="Received at or after (ISO 8601).")] = None,
        output: Annotated[ListFormat, typer.Option("--format")] = ListFormat.TABLE,
        addresses: Annotated[
            bool,
            typer.Option(
                "--addresses", help="Decrypt and show addresses (needs the key).", metavar=""
            ),
        ] = False,
        reason: _Reason = None,
    ) -> None:
        """List objections, without addresses unless asked (then with a --reason)."""
        after = _parsed(parse_time, since)
        with self._register() as opened:
            if addresses:
                _journal_reveal(opened, reason, f"{status or 'all'} objections listed")
            items = opened.objections(status=status, since=after, with_address=addresses)
        if output is ListFormat.CSV:
            write_csv(items, sys.stdout)
        elif output is ListFormat.JSON:
            typer.echo(json.dumps([_shown(item, addresses) for item in items], indent=2))
        else:
            _print_table(items, addresses)

    def show(
        self,
        objection_id: _ById,
        address: Annotated[
            bool, typer.Option("--address", help="Decrypt the address.", metavar="")
        ] = False,
        reason: _Reason = None,
    ) -> None:
        """One objection and its history (its address with --address and a --reason)."""
        with self._register() as opened:
            if address:
                _journal_reveal(opened, reason, "shown", objection_id=objection_id)
            item = opened.get(objection_id, with_address=address)
            entries = opened.history(objection_id)
        for name, value in _shown(item, address).items():
            typer.echo(f"{name:>12}: {value}")
        table = Table("at", "who", "action", "from", "to", "note", title="history")
        for entry in entries:
            table.add_row(
                entry.at.isoformat(timespec="seconds"),
                entry.actor,
                entry.action.value + (f" ({entry.method.value})" if entry.method else ""),
                entry.from_status.value if entry.from_status else "",
                entry.to_status.value,
                entry.note or "",
            )
        Console(width=120).print(table)

    def verify(
        self,
        objection_id: _ById,
        by: _By,
        method: Annotated[
            VerificationMethod | None,
            typer.Option(help="How identity was checked (mailbox_control: the console's link)."),
        ] = None,
        note: Annotated[
            str | None, typer.Option("--note", help="What was checked (needed but for mailbox).")
        ] = None,
    ) -> None:
        """The person's identity was verified, by a named method."""
        with self._register() as opened:
            item = opened.verify(objection_id, by=by, method=method, note=note)
        typer.echo(f"objection {item.id} is {item.status.value}")

    def reject(self, objection_id: _ById, by: _By, note: _NoteRequired = None) -> None:
        """The identity could not be verified (the objection keeps suppressing)."""
        with self._register() as opened:
            item = opened.reject(objection_id, by=by, note=note)
        typer.echo(f"objection {item.id} is {item.status.value}; it still suppresses")

    def withdraw(self, objection_id: _ById, by: _By, note: _NoteRequired = None) -> None:
        """The verified person withdrew the objection: uploading may resume once a second
        reviewer confirms (run again by another reviewer; four eyes)."""
        with self._register() as opened:
            item = opened.withdraw(
                objection_id, by=by, note=note, four_eyes=self._source().four_eyes
            )
        if item.status is Status.WITHDRAWN:
            typer.echo(f"objection {item.id} is {item.status.value}; it no longer suppresses")
        else:
            typer.echo(
                f"withdrawal of objection {item.id} requested; it still suppresses until "
                "another reviewer confirms it with the same command"
            )

    def check(
        self,
        address: Annotated[str, typer.Argument(help="The e-mail address to look up.")],
        platform: Annotated[
            str | None, typer.Option(help="Only this platform (default: every platform).")
        ] = None,
    ) -> None:
        """Say for which platforms the address is suppressed; exit 0 only if for every one
        the product exports to (or for ``--platform``), else 1."""
        platforms = self._source().config.platforms
        asked = sorted(platforms) if platform is None else [platform.strip().lower()]
        with self._register() as opened:
            try:
                found = {name: opened.matches(address, platform=name) for name in asked}
            except InvalidAddress as error:
                _fail(f"{address!r} is not a usable e-mail address: {error.reason}")
        everywhere = [item for item in next(iter(found.values())) if not item.scope.platforms]
        if platform is None and everywhere:
            typer.echo(f"suppressed for all platforms: {_described(everywhere)}")
            return
        for name, items in found.items():
            if items:
                typer.echo(f"suppressed for {name}: {_described(items)}")
            else:
                typer.echo(f"not suppressed for {name}")
        if not all(found.values()):
            raise typer.Exit(code=1)

    def export(
        self,
        output_format: Annotated[ExportFormat, typer.Option("--format")] = ExportFormat.CSV,
        output: Annotated[
            Path | None,
            typer.Option("--output", help="File to write (mode 0600); default: standard output."),
        ] = None,
        reason: _Reason = None,
        by: _Recorder = None,
    ) -> None:
        """Every objection with its decrypted address, for the privacy officer (journaled)."""
        if not (reason and reason.strip()):
            _fail("say why the register is decrypted (--reason); it is journaled")
        who = by or getpass.getuser()
        with self._register() as opened:
            if output is None:
                export_decrypted(
                    opened, sys.stdout, by=who, reason=reason, channel="the command line"
                )
                return
            descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w", newline="", encoding="utf-8") as stream:
                count = export_decrypted(
                    opened, stream, by=who, reason=reason, channel="the command line"
                )
        typer.echo(f"exported {count} objections to {output}", err=True)

    def stats(
        self,
        as_json: Annotated[
            bool, typer.Option("--json", help="Print the counts as JSON.", metavar="")
        ] = False,
    ) -> None:
        """Counts by status and channel, and the register version."""
        with self._register() as opened:
            figures = opened.stats()
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        "objections": figures.total,
                        "suppressing": figures.suppressing,
                        "by_status": {s.value: figures.by_status.get(s, 0) for s in Status},
                        "by_channel": {c.value: figures.by_channel.get(c, 0) for c in Channel},
                        "version": figures.version,
                    },
                    indent=2,
                )
            )
            return
        typer.echo(f"objections: {figures.total}")
        typer.echo(f"suppressing: {figures.suppressing}")
        for status in Status:
            typer.echo(f"  {status.value}: {figures.by_status.get(status, 0)}")
        for channel in Channel:
            typer.echo(f"  {channel.value}: {figures.by_channel.get(channel, 0)}")
        typer.echo(f"version: {figures.version}")

    def rotate_keys(
        self,
        by: _Recorder = None,
        yes: Annotated[
            bool, typer.Option("--yes", help="Do not ask for confirmation.", metavar="")
        ] = False,
    ) -> None:
        """Re-encrypt and re-index every objection under new keys, in one transaction; the old
        key ring is first copied to a backup file (mode 0600) beside the key file."""
        with self._register() as opened:
            key_file = self._source().config.key_file
            backup = None if key_file is None else rotation_backup(key_file)
            if not yes and not typer.confirm(
                f"Rotate the register keys? The old keys go to {backup} (keep it safe: sent "
                "indexes recorded under them can only be searched with it)"
            ):
                _fail("nothing was rotated")
            actor = by or getpass.getuser()
            rotation = opened.rotate_keys(by=actor, backup=backup)
            write(opened.engine, actor, Deed.KEYS_ROTATED, detail=f"new key {rotation.key_id}")
        typer.echo(f"re-encrypted {rotation.rows} objections under key {rotation.key_id}")
        if backup is not None:
            typer.echo(f"the old key ring is in {backup} (mode 0600)")


def rotation_backup(key_file: Path) -> Path:
    """Where a rotation keeps the key ring it replaces: beside it, stamped with the time."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return key_file.with_name(f"{key_file.name}.{stamp}.bak")


def _journal_reveal(
    opened: Register, reason: str | None, detail: str, *, objection_id: int | None = None
) -> None:
    """Journal a decryption asked on the command line; refused without a reason."""
    if not (reason and reason.strip()):
        _fail("say why the address is decrypted (--reason); it is journaled")
    write(
        opened.engine,
        getpass.getuser(),
        Deed.ADDRESS_REVEALED,
        objection_id=objection_id,
        reason=reason,
        detail=f"{detail} (command line)",
    )


def _parsed(parse: Callable[[str], _T], text: str | None) -> _T | None:
    if text is None:
        return None
    try:
        return parse(text)
    except ValueError as error:
        _fail(str(error))


def _described(items: list[Objection]) -> str:
    return ", ".join(
        f"objection {item.id} ({item.status.value}, scope {item.scope})" for item in items
    )


def _given(address: str | None) -> str:
    """How an import error shows the address the officer gave (long ones by length only)."""
    if address is None:
        return ""
    if len(address) > _SHOWN_ADDRESS:
        return f"an address of {len(address)} characters: "
    return f"{address!r}: "


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


def _shown(item: Objection, with_address: bool) -> dict[str, str]:
    row = export_row(item)
    if not with_address:
        del row["address"]
    return row


def _print_table(items: list[Objection], with_address: bool) -> None:
    columns = [name for name in EXPORT_COLUMNS if with_address or name != "address"]
    table = Table(*columns)
    for item in items:
        table.add_row(*_shown(item, with_address).values())
    Console(width=160).print(table)
