"""Which deployed API and stage a request to the front is for, from its Host and path.

Three forms reach the same API (``{api}``: its id, ``{stage}``: its stage name):

- the host form, as on AWS: ``Host: {api}.execute-api.localhost[:port]`` or the real
  ``{api}.execute-api.{region}.amazonaws.com`` (what the proxy mode forwards), then
  ``/{stage}/{path}``;
- LocalStack's path form on any host: ``/restapis/{api}/{stage}/_user_request_/{path}``;
- the stage form on the front's own URL, ``/{stage}/{path}``, when exactly one API is deployed
  (with several, a 404 names them: the host or path form must say which).

Outside these, API Gateway's answers: the root of a known API's host (no stage) is 403
``Forbidden`` as on AWS; anything else is 404.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from urllib.parse import unquote

ROUTE_PREFIX = "/restapis/"
USER_REQUEST = "_user_request_"

# API ids are API Gateway's 10 lower-case alphanumerics; the port is the front's when the client
# names it (``localhost:4567``) and absent through the proxy (``...amazonaws.com`` on 443).
_EXECUTE_API_HOST = re.compile(
    r"^(?P<api>[a-z0-9]+)\.execute-api\."
    r"(?:localhost|[a-z0-9-]+\.amazonaws\.com(?:\.cn)?)\.?(?::\d+)?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Target:
    api_id: str
    stage: str
    raw_user_path: str  # percent-encoded, starts with "/"


@dataclass(frozen=True)
class NoTarget:
    """The request names no deployed API's stage: answered with this, before any route."""

    status: int
    message: str
    error_type: str


FORBIDDEN = NoTarget(403, "Forbidden", "ForbiddenException")
NOT_FOUND = NoTarget(404, "Not Found", "NotFoundException")


def api_id_of_host(host: str | None) -> str | None:
    """The API id an execute-api Host header names, else None."""
    found = _EXECUTE_API_HOST.match(host or "")
    return found.group("api").lower() if found else None


def _stage_and_rest(raw_path: str) -> tuple[str, str] | None:
    stage, _, rest = raw_path.lstrip("/").partition("/")
    return (unquote(stage), "/" + rest) if stage else None


def _path_form(raw_path: str, api_ids: Collection[str]) -> Target | NoTarget:
    parts = raw_path[len(ROUTE_PREFIX) :].split("/", 3)
    if len(parts) < 3 or parts[2] != USER_REQUEST or not parts[0] or not parts[1]:
        # ``{base}/..`` resolves to ``/restapis/{api}/{stage}`` in the client, as
        # ``/{stage}/..`` resolves to the host's root on AWS: Forbidden there too.
        return FORBIDDEN if unquote(parts[0]) in api_ids else NOT_FOUND
    rest = parts[3] if len(parts) == 4 else ""
    return Target(unquote(parts[0]), unquote(parts[1]), "/" + rest)


def _ambiguous(api_ids: Collection[str]) -> NoTarget:
    return NoTarget(
        404,
        "Not Found: this front serves several APIs ("
        + ", ".join(sorted(api_ids))
        + "); say which with the host form http://{api}.execute-api.localhost:{port}/{stage}/..."
        " or the path form /restapis/{api}/{stage}/_user_request_/...",
        "NotFoundException",
    )


def _host_form(host_api: str, raw_path: str, api_ids: Collection[str]) -> Target | NoTarget:
    stage_and_rest = _stage_and_rest(raw_path)
    if stage_and_rest is None:
        return FORBIDDEN if host_api in api_ids else Target(host_api, "", "/")
    return Target(host_api, *stage_and_rest)


def _stage_form(raw_path: str, api_ids: Collection[str]) -> Target | NoTarget:
    if len(api_ids) > 1:
        return _ambiguous(api_ids)
    if not api_ids:
        return NOT_FOUND
    stage_and_rest = _stage_and_rest(raw_path)
    if stage_and_rest is None:
        return FORBIDDEN
    return Target(next(iter(api_ids)), *stage_and_rest)


def resolve_target(raw_path: str, host: str | None, api_ids: Collection[str]) -> Target | NoTarget:
    """The API, stage and user path of a request, or the answer when it names none.

    An unknown API id or stage in a well-formed request still comes back as a ``Target``: the
    gateway answers those (404 naming the id, 403 for the stage) for every form alike."""
    if raw_path.startswith(ROUTE_PREFIX):
        return _path_form(raw_path, api_ids)
    host_api = api_id_of_host(host)
    if host_api is not None:
        return _host_form(host_api, raw_path, api_ids)
    return _stage_form(raw_path, api_ids)
