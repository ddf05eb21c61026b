"""Lambda's invocation payload limits, with the errors Lambda answers when they are exceeded.

- A synchronous (``RequestResponse``) request over 6 MB (6,291,456 bytes) is refused before the
  function runs: HTTP 413 ``RequestEntityTooLargeException``, "N byte payload is too large for the
  RequestResponse invocation type (limit 6291456 bytes)".
- An asynchronous (``Event``) request over 1 MB is refused the same way ("... for the Event
  invocation type (limit 1048576 bytes)"). The limit was 256 KB until Lambda raised it in 2025;
  the Invoke API reference now says 1 MB (the deprecated ``InvokeAsync`` keeps 256 KB).
- A response over 6,291,556 bytes fails the invoke after the function ran:
  ``FunctionError: Unhandled`` with ``Function.ResponseSizeTooLarge``; behind API Gateway's
  Lambda proxy that is its 502.

Sizes are those of the JSON text in UTF-8, as the payload travels; the python3.12+ runtimes
serialise a response without escaping non-ASCII, so an emoji counts 4 bytes, not 12.
"""

from __future__ import annotations

import json
from typing import Any, Literal

SYNC_REQUEST_BYTES = 6 * 1024 * 1024
ASYNC_REQUEST_BYTES = 1024 * 1024
RESPONSE_BYTES = SYNC_REQUEST_BYTES + 100  # the figure Lambda's error message gives

InvocationType = Literal["RequestResponse", "Event"]
_REQUEST_LIMITS: dict[str, int] = {
    "RequestResponse": SYNC_REQUEST_BYTES,
    "Event": ASYNC_REQUEST_BYTES,
}


class RequestTooLarge(Exception):
    """An invoke request over its invocation type's limit (Lambda's 413)."""

    error_type = "RequestEntityTooLargeException"

    def __init__(self, size: int, invocation_type: InvocationType) -> None:
        self.size = size
        self.limit = _REQUEST_LIMITS[invocation_type]
        super().__init__(
            f"{size} byte payload is too large for the {invocation_type} invocation type "
            f"(limit {self.limit} bytes)"
        )


def payload_size(payload: Any) -> int:
    return len(json.dumps(payload, ensure_ascii=False).encode("utf-8", "surrogatepass"))


def check_request_size(size: int, invocation_type: InvocationType) -> None:
    if size > _REQUEST_LIMITS[invocation_type]:
        raise RequestTooLarge(size, invocation_type)


def response_too_large(size: int) -> bool:
    return size > RESPONSE_BYTES


RESPONSE_TOO_LARGE_ERROR: dict[str, str] = {
    "errorMessage": (
        f"Response payload size exceeded maximum allowed payload size ({RESPONSE_BYTES} bytes)."
    ),
    "errorType": "Function.ResponseSizeTooLarge",
}
