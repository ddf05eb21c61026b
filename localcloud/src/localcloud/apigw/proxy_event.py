"""The Lambda proxy integration (REST API, payload v1.0): the event in and the response out.

Event: ``resource``, ``path``, ``httpMethod``, ``headers`` / ``multiValueHeaders`` (names as sent;
the single-value view keeps the last value), ``queryStringParameters`` /
``multiValueQueryStringParameters`` (decoded, ``null`` when empty), ``pathParameters``,
``stageVariables``, ``requestContext``, ``body`` (``null`` when empty; base64 with
``isBase64Encoded`` only for the API's binary media types), ``isBase64Encoded``.

Response: a JSON object with only ``statusCode``, ``headers``, ``multiValueHeaders``, ``body``
(a string) and ``isBase64Encoded``; anything else is a malformed proxy response, which API
Gateway answers with 502 ``{"message": "Internal server error"}``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from typing import Any

from localcloud.apigw.http_types import ApiResponse, IncomingRequest, media_type

_RESPONSE_KEYS = frozenset(
    {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}
)


class MalformedProxyResponse(Exception):
    """The function's return value is not a valid proxy response."""


def _header_views(
    headers: Iterable[tuple[str, str]],
) -> tuple[dict[str, str], dict[str, list[str]]]:
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    names: dict[str, str] = {}  # lower-case -> the case first seen
    for name, value in headers:
        shown = names.setdefault(name.lower(), name)
        single[shown] = value
        multi.setdefault(shown, []).append(value)
    return single, multi


def _query_views(
    request: IncomingRequest,
) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    pairs = request.query_pairs()
    if not pairs:
        return None, None
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for key, value in pairs:
        single[key] = value
        multi.setdefault(key, []).append(value)
    return single, multi


def is_binary(content_type: str | None, binary_media_types: list[str]) -> bool:
    kind = media_type(content_type)
    if not kind:
        return False
    for pattern in binary_media_types:
        wanted = pattern.lower()
        if wanted in ("*/*", kind) or (wanted.endswith("/*") and kind.startswith(wanted[:-1])):
            return True
    return False


def build_proxy_event(
    request: IncomingRequest,
    *,
    resource_path: str,
    path: str,
    path_parameters: Mapping[str, str],
    request_context: Mapping[str, Any],
    binary_media_types: list[str],
    extra_headers: list[tuple[str, str]],
) -> dict[str, Any]:
    """The event a proxy-integrated function receives for this request."""
    single, multi = _header_views([*request.headers, *extra_headers])
    query, multi_query = _query_views(request)
    binary = is_binary(request.header("Content-Type"), binary_media_types)
    body: str | None
    if not request.body:
        body = None
    elif binary:
        body = base64.b64encode(request.body).decode()
    else:
        # Without a binary media type API Gateway hands the payload over as (UTF-8) text.
        body = request.body.decode("utf-8", errors="replace")
    return {
        "resource": resource_path,
        "path": path,
        "httpMethod": request.method.upper(),
        "headers": single,
        "multiValueHeaders": multi,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": dict(path_parameters) or None,
        "stageVariables": None,
        "requestContext": dict(request_context),
        "body": body,
        "isBase64Encoded": bool(body is not None and binary),
    }


def _status_code(value: Any) -> int:
    if isinstance(value, bool):
        raise MalformedProxyResponse("statusCode must be an integer")
    if isinstance(value, int):
        status = value
    elif isinstance(value, str) and value.strip().isdigit():
        status = int(value)
    else:
        raise MalformedProxyResponse(f"statusCode must be an integer, got {value!r}")
    if not 100 <= status <= 599:
        raise MalformedProxyResponse(f"statusCode out of range: {status}")
    return status


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or isinstance(value, dict | list):
        raise MalformedProxyResponse(f"header values must be scalars, got {value!r}")
    return str(value)


def _headers(payload: Mapping[str, Any]) -> list[tuple[str, str]]:
    headers = payload.get("headers") or {}
    multi = payload.get("multiValueHeaders") or {}
    if not isinstance(headers, Mapping) or not isinstance(multi, Mapping):
        raise MalformedProxyResponse("headers and multiValueHeaders must be objects")
    merged: list[tuple[str, str]] = []
    for name, values in multi.items():
        if not isinstance(values, list):
            raise MalformedProxyResponse(f"multiValueHeaders[{name!r}] must be a list")
        merged.extend((str(name), _scalar(value)) for value in values)
    # A name in both: multiValueHeaders wins, as documented for REST APIs.
    shadowed = {str(name).lower() for name in multi}
    merged.extend(
        (str(name), _scalar(value))
        for name, value in headers.items()
        if str(name).lower() not in shadowed
    )
    return merged


def proxy_response(payload: Any) -> ApiResponse:
    """The HTTP response for a function's proxy response; raises MalformedProxyResponse."""
    if not isinstance(payload, Mapping):
        raise MalformedProxyResponse(f"expected a JSON object, got {type(payload).__name__}")
    unknown = set(payload) - _RESPONSE_KEYS
    if unknown:
        raise MalformedProxyResponse(f"unexpected keys: {sorted(unknown)}")
    status = _status_code(payload.get("statusCode"))
    body = payload.get("body")
    if body is not None and not isinstance(body, str):
        raise MalformedProxyResponse("body must be a string")
    encoded = payload.get("isBase64Encoded", False)
    if not isinstance(encoded, bool):
        raise MalformedProxyResponse("isBase64Encoded must be a boolean")
    if body is None:
        data = b""
    elif encoded:
        try:
            data = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as error:
            raise MalformedProxyResponse("body is not valid base64") from error
    else:
        data = body.encode()
    headers = _headers(payload)
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))
    return ApiResponse(status, headers, data)
