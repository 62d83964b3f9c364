"""What the TikTok sandbox holds: uploaded files and audiences, and the wiretap over both.

Request threads of the HTTP server call in concurrently: each public method
holds the state's one (reentrant) lock for all it reads and changes.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from audiences.tiktok.sandbox.envelope import not_exist, parameter_error
from audiences.tiktok.sandbox.files import check_file, file_lines
from audiences.tiktok.sandbox.matching import (
    MIN_LOOKALIKE_SOURCE,
    is_valid_hash,
    lookalike_size,
    matches,
)
from audiences.tiktok.sandbox.options import TikTokSandboxOptions, settings_of

CUSTOM = "CUSTOM"
LOOKALIKE = "LOOKALIKE"
AUDIENCE_TYPES = {CUSTOM: "Customer File Audience", LOOKALIKE: "Lookalike Audience"}
FIRST_AUDIENCE_ID = 6_400_000_001
FILE_PATH_PREFIX = "sandbox/dmp/custom_audience"


@dataclass(frozen=True)
class PlatformRules:
    """How the platform behaves; see the matching fields of :class:`TikTokSandboxOptions`."""

    match_delay_seconds: float
    lookalike_delay_seconds: float
    min_update_size: int
    max_file_lines: int


@dataclass
class UploadedFile:
    """One accepted file: its lines, and the audiences it was attached to."""

    path: str
    calculate_type: str
    lines: list[str]
    attached_to: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LookalikeSpec:
    """What a lookalike was built from, and how many users it reaches."""

    source_audience_id: str
    include_source: bool
    location_ids: list[str]
    audience_size: str
    reach: int


@dataclass
class Audience:
    """One customer-file or lookalike audience, deleted or not."""

    id: str
    name: str
    subtype: str
    calculate_type: str | None
    created_at: float
    processing_since: float
    """When the last create or update started processing."""
    members: set[str] = field(default_factory=set)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    lookalike: LookalikeSpec | None = None
    deleted_at: float | None = None
    error_msg: str = ""


class TikTokState:
    """The platform's memory. Time comes from ``clock`` (seconds, like ``time.time``)."""

    def __init__(
        self, options: TikTokSandboxOptions, clock: Callable[[], float] = time.time
    ) -> None:
        self._initial_rules = settings_of(PlatformRules, options)
        self._clock = clock
        self._lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        """Forget every file and audience; back to the starting rules."""
        with self._lock:
            self.rules = self._initial_rules
            self._audiences: dict[str, Audience] = {}
            self._files: dict[str, UploadedFile] = {}
            self._heard: list[str] = []
            self._ids = itertools.count(FIRST_AUDIENCE_ID)
            self._file_numbers = itertools.count(1)

    def configure(self, rules: PlatformRules) -> None:
        """Change the rules (validated by the caller); existing audiences follow them."""
        with self._lock:
            self.rules = rules

    # Files.

    def upload(self, calculate_type: str, content: bytes, signature: str) -> str:
        """Keep an uploaded file and answer its path (40900/40906/40907 refuse it).

        Its lines reach the wiretap even when the file is refused: they crossed the wire.
        """
        lines = file_lines(content)
        with self._lock:
            self._heard.extend(lines)
            check_file(content, signature, lines, self.rules.max_file_lines)
            path = f"{FILE_PATH_PREFIX}/{next(self._file_numbers):06d}.txt"
            self._files[path] = UploadedFile(path, calculate_type, lines)
            return path

    def _lines_of(self, paths: Sequence[str], calculate_type: str) -> list[str]:
        """The lines of these files, in order; unknown paths or another type are 40002."""
        found = [self._files.get(path) for path in paths]
        if any(uploaded is None for uploaded in found):
            raise parameter_error("file_paths holds a path that no upload answered")
        files = [uploaded for uploaded in found if uploaded is not None]
        if any(uploaded.calculate_type != calculate_type for uploaded in files):
            raise parameter_error("calculate_type differs from the calculate_type of a file")
        return [line for uploaded in files for line in uploaded.lines]

    def _attach(self, paths: Sequence[str], audience_id: str) -> None:
        for path in paths:
            self._files[path].attached_to.append(audience_id)

    # Audiences.

    def create_custom(self, name: str, calculate_type: str, paths: Sequence[str]) -> Audience:
        """A customer-file audience of the files' valid hashes, processing from now."""
        with self._lock:
            lines = self._lines_of(paths, calculate_type)
            audience = self._add(name, CUSTOM, calculate_type)
            audience.added.extend(lines)
            audience.members = {line for line in lines if is_valid_hash(line)}
            self._attach(paths, audience.id)
            return audience

    def update(self, audience_id: str, action: str, paths: Sequence[str]) -> None:
        """APPEND, REMOVE or REPLACE from files; refused under the size floor (40002)."""
        with self._lock:
            audience = self._live(audience_id)
            if audience.calculate_type is None:
                raise parameter_error("custom_audience_id names a lookalike audience")
            lines = self._lines_of(paths, audience.calculate_type)
            valid = {line for line in lines if is_valid_hash(line)}
            members = {
                "APPEND": audience.members | valid,
                "REMOVE": audience.members - valid,
                "REPLACE": valid,
            }[action]
            if len(members) < self.rules.min_update_size:
                raise parameter_error(
                    f"audience size would fall under {self.rules.min_update_size}"
                )
            (audience.removed if action == "REMOVE" else audience.added).extend(lines)
            audience.members = members
            audience.processing_since = self._clock()
            audience.error_msg = ""
            self._attach(paths, audience.id)

    def create_lookalike(
        self,
        name: str,
        source_audience_id: str,
        *,
        include_source: bool,
        location_ids: list[str],
        audience_size: str,
    ) -> Audience:
        """A lookalike of a valid customer-file audience of at least 100 matched users."""
        with self._lock:
            source = self._live(source_audience_id)
            if source.subtype == LOOKALIKE:
                raise parameter_error("the source audience is a lookalike audience")
            if not self._is_valid(source):
                raise parameter_error("the source audience is not ready (is_valid is false)")
            size = self._cover(source)
            if size < MIN_LOOKALIKE_SOURCE:
                raise parameter_error(
                    f"the source audience has fewer than {MIN_LOOKALIKE_SOURCE} matched users"
                )
            audience = self._add(name, LOOKALIKE, None)
            reach = lookalike_size(audience_size, len(location_ids), size, include_source)
            audience.lookalike = LookalikeSpec(
                source.id, include_source, list(location_ids), audience_size, reach
            )
            return audience

    def _add(self, name: str, subtype: str, calculate_type: str | None) -> Audience:
        now = self._clock()
        audience = Audience(str(next(self._ids)), name, subtype, calculate_type, now, now)
        self._audiences[audience.id] = audience
        return audience

    def _live(self, audience_id: str) -> Audience:
        audience = self._audiences.get(audience_id)
        if audience is None or audience.deleted_at is not None:
            raise not_exist(audience_id)
        return audience

    def delete(self, audience_ids: Sequence[str]) -> None:
        """Delete audiences, all or none (40007); lookalikes of a deleted seed stay valid."""
        with self._lock:
            audiences = [self._live(audience_id) for audience_id in audience_ids]
            now = self._clock()
            for audience in audiences:
                audience.deleted_at = now
                audience.members.clear()

    def fail(self, audience_id: str, error_msg: str) -> None:
        """Make TikTok fail to build an audience: invalid, with this ``error_msg``."""
        with self._lock:
            self._live(audience_id).error_msg = error_msg

    # What the platform reports.

    def _is_valid(self, audience: Audience) -> bool:
        delay = (
            self.rules.match_delay_seconds
            if audience.subtype == CUSTOM
            else self.rules.lookalike_delay_seconds
        )
        ready = self._clock() >= audience.processing_since + delay
        return ready and not audience.error_msg and audience.deleted_at is None

    def _cover(self, audience: Audience) -> int:
        """``cover_num``: matched users once valid, 0 before."""
        if not self._is_valid(audience):
            return 0
        if audience.lookalike is not None:
            return audience.lookalike.reach
        return sum(1 for member in audience.members if matches(member))

    def details(self, audience_ids: Sequence[str]) -> list[dict[str, Any]]:
        """``/get/``: every audience asked for, else 40007 for the first missing one."""
        with self._lock:
            audiences = [self._live(audience_id) for audience_id in audience_ids]
            return [
                {
                    "audience_details": self._summary(audience)
                    | {
                        "calculate_type": audience.calculate_type,
                        "is_creator": True,
                        "msg": "",
                        "error_msg": audience.error_msg,
                    },
                    "audience_history": [],
                }
                for audience in audiences
            ]

    def page(self, audience_ids: Sequence[str], page: int, page_size: int) -> dict[str, Any]:
        """``/list/``: live audiences (only these ids, when given), one page of them."""
        with self._lock:
            live = [
                audience
                for audience in self._audiences.values()
                if audience.deleted_at is None and (not audience_ids or audience.id in audience_ids)
            ]
            shown = live[(page - 1) * page_size : page * page_size]
            return {
                "list": [self._summary(audience) for audience in shown],
                "page_info": {
                    "page": page,
                    "page_size": page_size,
                    "total_number": len(live),
                    "total_page": math.ceil(len(live) / page_size),
                },
            }

    def _summary(self, audience: Audience) -> dict[str, Any]:
        return {
            "audience_id": audience.id,
            "name": audience.name,
            "audience_type": AUDIENCE_TYPES[audience.subtype],
            "cover_num": self._cover(audience),
            "is_valid": self._is_valid(audience),
            "is_expiring": False,
            "create_time": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(audience.created_at)),
        }

    # The wiretap, for tests and the demo (never served on an API path).

    def snapshot(self) -> list[dict[str, Any]]:
        """Every audience ever created, deleted ones included; counts, never hashes."""
        with self._lock:
            return [self._snapshot(audience) for audience in self._audiences.values()]

    def _snapshot(self, audience: Audience) -> dict[str, Any]:
        spec = audience.lookalike
        return {
            "id": audience.id,
            "name": audience.name,
            "subtype": audience.subtype,
            "deleted": audience.deleted_at is not None,
            "is_valid": self._is_valid(audience),
            "cover_num": self._cover(audience),
            "error_msg": audience.error_msg,
            "members": len(audience.members),
            "source_audience_id": spec.source_audience_id if spec else None,
            "audience_size": spec.audience_size if spec else None,
            "location_ids": spec.location_ids if spec else None,
            "created_at": audience.created_at,
            "deleted_at": audience.deleted_at,
        }

    def received(self, audience_id: str) -> dict[str, list[str]]:
        """Every hash attached to or detached from an audience, kept after deletion."""
        with self._lock:
            audience = self._audiences.get(audience_id)
            if audience is None:
                raise not_exist(audience_id)
            return {"added": list(audience.added), "removed": list(audience.removed)}

    def uploads(self) -> dict[str, Any]:
        """Every accepted file (path, line count, audiences), and every line ever uploaded."""
        with self._lock:
            return {
                "files": [
                    {
                        "file_path": uploaded.path,
                        "lines": len(uploaded.lines),
                        "attached_to": list(uploaded.attached_to),
                    }
                    for uploaded in self._files.values()
                ],
                "hashes": list(self._heard),
            }
