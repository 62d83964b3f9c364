"""The TikTok sandbox: its state, tokens and faults behind one entry point, independent of HTTP."""

from __future__ import annotations

import time

from audiences.sandbox_http import HttpRequest
from audiences.tiktok.sandbox.auth import AccessTokens
from audiences.tiktok.sandbox.control import ControlRoutes
from audiences.tiktok.sandbox.envelope import Response, TikTokError, refusal, success
from audiences.tiktok.sandbox.faults import Faults, RequestRecord
from audiences.tiktok.sandbox.options import TikTokSandboxOptions
from audiences.tiktok.sandbox.params import Call, advertiser_id_in, read_call
from audiences.tiktok.sandbox.routes import OpenApiRoutes
from audiences.tiktok.sandbox.state import TikTokState

CONTROL_PREFIX = "/_sandbox/"
TOKEN_HEADER = "Access-Token"  # noqa: S105 - a header name, not a secret


class TikTokSandbox:
    """The Business API subset and its control endpoints."""

    def __init__(self, options: TikTokSandboxOptions | None = None) -> None:
        self.options = options or TikTokSandboxOptions()
        self.state = TikTokState(self.options)
        self.tokens = AccessTokens(self.options.access_token)
        self.faults = Faults(self.options)
        self._api = OpenApiRoutes(self.state, self.options.advertiser_id, self.options.core_user_id)
        self._control = ControlRoutes(
            self.options, self.state, self.tokens, self.faults, self.reset
        )

    def reset(self) -> None:
        """Back to a fresh start with the original options."""
        self.state.reset()
        self.tokens.reset()
        self.faults.reset()

    def handle(self, request: HttpRequest) -> Response:
        """Answer one request. API calls pass latency, the gateway, token, rate limit, faults."""
        if request.path.startswith(CONTROL_PREFIX):
            try:
                fields = read_call(request).fields
                return Response(200, self._control.handle(request.method, request.path, fields))
            except TikTokError as error:
                return refusal(error)
        arrived_at = time.time()
        self.faults.delay()
        call = _readable(request)
        response = self.faults.gateway_page() or self.faults.lost_answer(
            self._answer(request, call)
        )
        self.faults.record(
            RequestRecord(
                arrived_at=arrived_at,
                method=request.method,
                path=request.path,
                status=response.status,
                code=response.body["code"] if isinstance(response.body, dict) else None,
                access_token_header=TOKEN_HEADER.lower()
                in (name.lower() for name in request.headers),
                advertiser_id_in=advertiser_id_in(
                    request, call if isinstance(call, Call) else None
                ),
            )
        )
        return response

    def _answer(self, request: HttpRequest, call: Call | TikTokError) -> Response:
        try:
            self.tokens.check(request.header(TOKEN_HEADER))
            self.faults.admit()
            if isinstance(call, TikTokError):
                raise call
            return success(self._api.handle(request.method, request.path, call))
        except TikTokError as error:
            return refusal(error)


def _readable(request: HttpRequest) -> Call | TikTokError:
    """The call's fields, or the error its unreadable body gets once the token is checked."""
    try:
        return read_call(request)
    except TikTokError as error:
        return error
