"""Graph calls as this client sends them: token in a header, secrets in a body, answers checked.

The facebook-business SDK is kept for what it does well: the ad objects and
their parameters (``add_users``, ``create_custom_audience``, ``api_get``),
JSON-encoding nested parameters, cursor paging, and parsing Graph error bodies
into ``FacebookRequestError``. Its transport is replaced, because by default
it puts ``access_token`` and ``appsecret_proof`` in the query string of every
call, sends GET and DELETE parameters — the hashes of ``DELETE /{id}/users`` —
in the URL, and treats a non-JSON body (a gateway's HTML page) as success.

:class:`CheckedGraphApi` overrides ``FacebookAdsApi.call``, through which every
SDK object sends its requests, so nothing bypasses it:

- the token travels in ``Authorization: OAuth <token>``;
- every parameter, and ``appsecret_proof``, travels in an
  ``application/x-www-form-urlencoded`` body; a read is a ``POST`` carrying
  Graph's method override ``method=get``; a deletion is a ``DELETE`` with a body;
- the answer must be a JSON object, and an error status must carry a Graph
  error; anything else raises :class:`GatewayFault`.

The request line therefore holds only the version and the object path. Sources
and what stays unverified: ``RULES.md``, "Authentication and transport".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests
from facebook_business.api import FacebookAdsApi, FacebookResponse, _top_level_param_json_encode
from facebook_business.session import FacebookSession

READ_OVERRIDE = "get"
"""Graph's method override: ``POST /{object}`` with ``method=get`` reads the object."""


class GatewayFault(Exception):
    """An answer that is not Graph JSON: a gateway page, an empty body, a bare error status.

    Carries the HTTP status only; never the body, which is not Meta's API talking.
    """

    def __init__(self, http_status: int) -> None:
        super().__init__(f"HTTP {http_status} without a Graph API answer")
        self.http_status = http_status


class HeaderTokenSession(FacebookSession):  # type: ignore[misc]
    """The SDK session without its query-string credentials: the token goes in a header."""

    def __init__(self, *, access_token: str, app_secret: str | None, timeout: float) -> None:
        super().__init__(access_token=access_token, app_secret=app_secret, timeout=timeout)
        self.requests.params.clear()
        self.requests.headers["Authorization"] = f"OAuth {access_token}"

    def body_secrets(self) -> dict[str, str]:
        """What every request body carries to prove the app: ``appsecret_proof`` if configured."""
        return {"appsecret_proof": str(self.appsecret_proof)} if self.app_secret else {}


class CheckedGraphApi(FacebookAdsApi):  # type: ignore[misc]
    """``FacebookAdsApi`` whose one transport method follows the rules above."""

    def __init__(self, session: HeaderTokenSession, api_version: str) -> None:
        super().__init__(session, api_version=api_version)
        self._header_session = session

    def call(
        self,
        method: str,
        path: str | tuple[object, ...] | list[object],
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        files: Mapping[str, Any] | None = None,
        url_override: str | None = None,
        api_version: str | None = None,
    ) -> Any:
        """Send one Graph request; return the SDK's ``FacebookResponse`` or raise.

        Raises ``FacebookRequestError`` for a Graph error answer and
        :class:`GatewayFault` for an answer that is not Graph JSON.
        """
        session = self._header_session
        url = path if isinstance(path, str) else self._url(path, url_override, api_version)
        body: dict[str, Any] = dict(_top_level_param_json_encode(dict(params or {})))
        verb = method
        if method == "GET":
            verb, body["method"] = "POST", READ_OVERRIDE
        body |= session.body_secrets()
        response = session.requests.request(
            verb,
            url,
            data=body,
            headers=dict(headers or {}) | FacebookAdsApi.HTTP_DEFAULT_HEADERS,
            files=dict(files) if files else None,
            timeout=session.timeout,
        )
        _require_graph_json(response)
        answer = FacebookResponse(
            body=response.text,
            headers=response.headers,
            http_status=response.status_code,
            # No params: the SDK error's text would quote them (a batch of hashes).
            call={"method": method, "path": url},
        )
        if answer.is_failure():
            raise answer.error()
        return answer

    def _url(
        self, path: tuple[object, ...] | list[object], base: str | None, version: str | None
    ) -> str:
        nodes = "/".join(str(node) for node in path)
        return f"{base or self._header_session.GRAPH}/{version or self._api_version}/{nodes}"


def _require_graph_json(response: requests.Response) -> None:
    """A JSON object, and an error status only with a Graph ``error`` in it."""
    try:
        decoded = response.json()
    except ValueError:
        raise GatewayFault(response.status_code) from None
    if not isinstance(decoded, dict) or (response.status_code >= 400 and "error" not in decoded):
        raise GatewayFault(response.status_code)
