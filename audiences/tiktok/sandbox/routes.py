"""The ``/open_api/v1.3`` calls the sandbox serves, validated as the wire contract types them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from audiences.tiktok.sandbox.envelope import (
    NO_PERMISSION,
    PARAMETER_ERROR,
    TikTokError,
    parameter_error,
)
from audiences.tiktok.sandbox.params import (
    Call,
    Fields,
    audience_id,
    choice,
    text,
    text_list,
    whole_number,
)
from audiences.tiktok.sandbox.state import TikTokState

API_PREFIX = "/open_api/v1.3"
CALCULATE_TYPES = frozenset({"EMAIL_SHA256", "PHONE_SHA256"})
UPDATE_ACTIONS = frozenset({"APPEND", "REMOVE", "REPLACE"})
MOBILE_OS = frozenset({"ALL", "ANDROID", "IOS"})
PLACEMENTS = frozenset({"TIKTOK", "PANGLE"})
AUDIENCE_SIZES = frozenset({"NARROW", "BALANCED", "BROAD"})
FILE_SUFFIXES = (".txt", ".csv")
MAX_NAME_CHARS = 128
MAX_FILE_PATHS = 500
MAX_IDS = 100
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 10
MAX_PAGE = 10_000
MAX_LOCATIONS = 100
MAX_RETENTION_DAYS = 365

Data = dict[str, Any]


class OpenApiRoutes:
    """Dispatches one API call to the platform state; answers its ``data``."""

    def __init__(self, state: TikTokState, advertiser_id: str, core_user_id: str) -> None:
        self._state = state
        self._advertiser_id = advertiser_id
        self._core_user_id = core_user_id
        self._calls: dict[tuple[str, str], Callable[[Call], Data]] = {
            ("POST", "/dmp/custom_audience/file/upload/"): self._upload,
            ("POST", "/dmp/custom_audience/create/"): self._create,
            ("POST", "/dmp/custom_audience/update/"): self._update,
            ("POST", "/dmp/custom_audience/lookalike/create/"): self._lookalike,
            ("GET", "/dmp/custom_audience/get/"): self._get,
            ("GET", "/dmp/custom_audience/list/"): self._list,
            ("POST", "/dmp/custom_audience/delete/"): self._delete,
            ("GET", "/user/info/"): self._user_info,
        }

    def handle(self, method: str, path: str, call: Call) -> Data:
        """The ``data`` of a successful call, or a :class:`TikTokError`."""
        route = path.removeprefix(API_PREFIX).rstrip("/") + "/"
        answer = self._calls.get((method, route)) if path.startswith(API_PREFIX) else None
        if answer is None:
            raise TikTokError(PARAMETER_ERROR, f"No API call at {method} {path}.", 404)
        return answer(call)

    def _advertiser(self, fields: Fields) -> None:
        """The call must name the sandbox's advertiser (40001 for another one)."""
        given = fields.get("advertiser_id")
        if given is None or given == "":
            raise parameter_error("advertiser_id is required")
        if str(given) != self._advertiser_id:
            raise TikTokError(NO_PERMISSION, "No permission to operate this advertiser.")

    def _upload(self, call: Call) -> Data:
        self._advertiser(call.fields)
        calculate_type = choice(call.fields, "calculate_type", CALCULATE_TYPES)
        signature = text(call.fields, "file_signature")
        upload = call.files.get("file")
        if upload is None:
            raise parameter_error("file is required")
        if not upload.filename.lower().endswith(FILE_SUFFIXES):
            raise parameter_error("file must be a .txt or .csv file")
        return {"file_path": self._state.upload(calculate_type, upload.content, signature)}

    def _create(self, call: Call) -> Data:
        fields = call.fields
        self._advertiser(fields)
        name = text(fields, "custom_audience_name", longest=MAX_NAME_CHARS)
        calculate_type = choice(fields, "calculate_type", CALCULATE_TYPES)
        paths = text_list(fields, "file_paths", MAX_FILE_PATHS)
        if "retention_in_days" in fields:
            whole_number(fields, "retention_in_days", 1, MAX_RETENTION_DAYS)
        audience = self._state.create_custom(name, calculate_type, paths)
        return {"custom_audience_id": audience.id}

    def _update(self, call: Call) -> Data:
        fields = call.fields
        self._advertiser(fields)
        target = audience_id(fields, "custom_audience_id")
        action = choice(fields, "action", UPDATE_ACTIONS, default="REPLACE")
        paths = text_list(fields, "file_paths", MAX_FILE_PATHS)
        self._state.update(target, action, paths)
        return {}

    def _lookalike(self, call: Call) -> Data:
        self._advertiser(call.fields)
        name = text(call.fields, "custom_audience_name", longest=MAX_NAME_CHARS)
        spec = call.fields.get("lookalike_spec")
        if not isinstance(spec, dict):
            raise parameter_error("lookalike_spec must be an object")
        source = audience_id(spec, "source_audience_id")
        include_source = spec.get("include_source", False)
        if not isinstance(include_source, bool):
            raise parameter_error("lookalike_spec.include_source must be true or false")
        choice(spec, "mobile_os", MOBILE_OS)
        if not set(text_list(spec, "placements", len(PLACEMENTS))) <= PLACEMENTS:
            raise parameter_error(f"placements must be among {', '.join(sorted(PLACEMENTS))}")
        locations = text_list(spec, "location_ids", MAX_LOCATIONS)
        if not all(location.isdigit() for location in locations):
            raise parameter_error("location_ids must hold location ids (digits)")
        audience = self._state.create_lookalike(
            name,
            source,
            include_source=include_source,
            location_ids=locations,
            audience_size=choice(spec, "audience_size", AUDIENCE_SIZES),
        )
        return {"custom_audience_id": audience.id}

    def _get(self, call: Call) -> Data:
        self._advertiser(call.fields)
        return {"list": self._state.details(_audience_ids(call.fields, required=True))}

    def _list(self, call: Call) -> Data:
        fields = call.fields
        self._advertiser(fields)
        wanted = _audience_ids(fields, required=False)
        page = whole_number(fields, "page", 1, MAX_PAGE, default=1)
        size = whole_number(fields, "page_size", 1, MAX_PAGE_SIZE, default=DEFAULT_PAGE_SIZE)
        return self._state.page(wanted, page, size)

    def _delete(self, call: Call) -> Data:
        self._advertiser(call.fields)
        self._state.delete(_audience_ids(call.fields, required=True))
        return {}

    def _user_info(self, call: Call) -> Data:
        return {"core_user_id": self._core_user_id, "display_name": "audience-export sandbox"}


def _audience_ids(fields: Fields, *, required: bool) -> list[str]:
    """``custom_audience_ids``: 1..100 audience ids (JSON-encoded in a query), else 40002."""
    ids = text_list(fields, "custom_audience_ids", MAX_IDS, required=required)
    if not all(given.isdigit() for given in ids):
        raise parameter_error("custom_audience_ids must hold audience ids (digits)")
    return ids
