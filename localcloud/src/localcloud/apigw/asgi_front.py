"""The API front as an ASGI application: API Gateway's request quotas, then the gateway.

HTTP parsing and framing are the server library's (hypercorn, h11/h2); this module applies what
API Gateway applies before a request reaches an API, in its ``{"message": ...}`` shape:

- request line + headers over 10,240 bytes: 431 ``Request Header Fields Too Large``;
- both ``Content-Length`` and ``Transfer-Encoding``: 400, and the connection is closed;
- a body over 10 MB (declared or streamed): 413 ``Request Too Long``, never buffered past the
  limit; the rest is read and dropped (up to ``max_drained_bytes``) so the client gets the 413;
- a body that does not arrive within ``body_timeout_s``: 408, and the connection is closed;
- every integration slot busy: 429 ``Too Many Requests`` at once (API Gateway's throttle answer);
- the gateway taking over 29 s: 504 ``Endpoint request timed out``;
- a request cut because the server is stopping: 503 ``Service Unavailable``.

``GET /_localcloud/health`` is answered here. Everything else goes to the gateway as an
``IncomingRequest``, with header names as the client sent them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from localcloud.apigw.front_limits import FrontLimits
from localcloud.apigw.http_types import ApiResponse, IncomingRequest
from localcloud.apigw.integration_pool import IntegrationPool

LOGGER = logging.getLogger(__name__)

HEALTH_PATH = "/_localcloud/health"

Handler = Callable[[IncomingRequest], ApiResponse]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]

_HOP_BY_HOP = {"content-length", "connection", "transfer-encoding", "keep-alive"}


def _error(status: int, message: str, error_type: str | None = None) -> ApiResponse:
    headers = [("x-amzn-ErrorType", error_type)] if error_type else []
    return ApiResponse.json(status, {"message": message}, headers)


def too_large() -> ApiResponse:
    return _error(413, "Request Too Long", "RequestTooLongException")


def head_too_large() -> ApiResponse:
    return _error(431, "Request Header Fields Too Large")


def bad_framing() -> ApiResponse:
    return _error(400, "Bad Request: both Content-Length and Transfer-Encoding")


def throttled() -> ApiResponse:
    return _error(429, "Too Many Requests", "TooManyRequestsException")


def timed_out() -> ApiResponse:
    return _error(504, "Endpoint request timed out")


def unavailable() -> ApiResponse:
    return _error(503, "Service Unavailable")


def body_timed_out() -> ApiResponse:
    return _error(408, "Request Timeout")


def request_head_size(scope: dict[str, Any]) -> int:
    """Bytes of the request line and header lines as HTTP/1.1 sends them."""
    target = scope["raw_path"] + (b"?" + scope["query_string"] if scope["query_string"] else b"")
    line = len(scope["method"]) + 1 + len(target) + len(" HTTP/1.1\r\n")
    return line + sum(len(name) + len(value) + 4 for name, value in scope["headers"])


def _declared_length(scope: dict[str, Any]) -> int | None:
    for name, value in scope["headers"]:
        if name.lower() == b"content-length":
            return int(value)  # the parser accepts only digits here
    return None


def _has_conflicting_framing(scope: dict[str, Any]) -> bool:
    """Content-Length and Transfer-Encoding together: h11 reads the chunks, but a proxy that
    trusts the length would split the stream elsewhere (request smuggling). Refused."""
    names = {name.lower() for name, _ in scope["headers"]}
    return b"content-length" in names and b"transfer-encoding" in names


class _Body:
    """The request body, read within the limits; what happened is in the flags."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.size = 0
        self.complete = False  # every byte the client sent was read
        self.disconnected = False


class FrontApp:
    def __init__(
        self,
        handler: Handler,
        health: Callable[[], dict[str, Any]],
        limits: FrontLimits,
        pool: IntegrationPool,
    ) -> None:
        self._handler = handler
        self._health = health
        self._limits = limits
        self._pool = pool

    async def __call__(self, scope: Any, receive: Receive, send: Send) -> None:
        # Lifespan events are not needed (returning at once is how an ASGI app declines them).
        if scope["type"] == "http":
            await self._http(scope, receive, send)

    async def _http(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        try:
            await self._serve_http(scope, receive, send)
        except asyncio.CancelledError:
            # The server is stopping and cut this request: say so rather than leave it to
            # hypercorn's bodiless 500. (Nothing is answered if the response had started.)
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await self._send(
                    send, unavailable(), http_version=scope["http_version"], close=True
                )
            raise

    async def _serve_http(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        limits, version = self._limits, scope["http_version"]
        rejection: ApiResponse | None = None
        declared = _declared_length(scope)
        if request_head_size(scope) > limits.max_request_head_bytes:
            rejection = head_too_large()
        elif _has_conflicting_framing(scope):
            rejection = bad_framing()
        elif declared is not None and declared > limits.max_payload_bytes:
            rejection = too_large()
        try:
            async with asyncio.timeout(limits.body_timeout_s):
                body = await self._read_body(receive, keep=rejection is None, declared=declared)
        except TimeoutError:
            await self._send(send, body_timed_out(), http_version=version, close=True)
            return
        if body.disconnected:
            return
        if rejection is None and body.size > limits.max_payload_bytes:
            rejection = too_large()
        if rejection is not None:
            # A refused framing leaves the stream position in doubt: close after answering.
            close = not body.complete or rejection.status == 400
            await self._send(send, rejection, http_version=version, close=close)
            return
        response = await self._respond(scope, bytes(body.data))
        await self._send(send, response, http_version=version, close=False)

    async def _read_body(self, receive: Receive, *, keep: bool, declared: int | None) -> _Body:
        """Read the body; past the payload limit (or when ``keep`` is off) bytes are dropped,
        and past ``max_drained_bytes`` reading stops (the connection will be closed)."""
        limits = self._limits
        body = _Body()
        if declared is not None and declared > limits.max_drained_bytes:
            return body  # not worth reading: answer now and close
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                body.disconnected = True
                return body
            chunk = message.get("body", b"")
            body.size += len(chunk)
            if keep and body.size <= limits.max_payload_bytes:
                body.data += chunk
            elif body.data:
                body.data = bytearray()  # over the limit: drop what was kept
            if not message.get("more_body", False):
                body.complete = True
                return body
            if body.size > limits.max_drained_bytes:
                return body

    async def _respond(self, scope: dict[str, Any], body: bytes) -> ApiResponse:
        request = IncomingRequest(
            method=scope["method"],
            raw_path=scope["raw_path"].decode("latin-1"),
            raw_query=scope["query_string"].decode("latin-1"),
            headers=tuple(
                (name.decode("latin-1"), value.decode("latin-1"))
                for name, value in scope["headers"]
            ),
            body=body,
            source_ip=(scope.get("client") or ("127.0.0.1", 0))[0],
            protocol=f"HTTP/{scope['http_version']}",
        )
        if request.raw_path == HEALTH_PATH and request.method in ("GET", "HEAD"):
            return ApiResponse.json(200, self._health())
        future = self._pool.try_submit(lambda: self._handle(request))
        if future is None:
            return throttled()
        try:
            return await asyncio.wait_for(
                asyncio.wrap_future(future), self._limits.integration_timeout_s
            )
        except TimeoutError:
            LOGGER.warning(
                "%s %s: no answer within %.0f s (504); the integration goes on in its thread",
                request.method,
                request.raw_path,
                self._limits.integration_timeout_s,
            )
            return timed_out()

    def _handle(self, request: IncomingRequest) -> ApiResponse:
        try:
            return self._handler(request)
        except Exception:  # the gateway answers every error itself; this is a last resort
            LOGGER.exception("API front handler failed")
            return _error(500, "Internal server error")

    @staticmethod
    async def _send(send: Send, response: ApiResponse, *, http_version: str, close: bool) -> None:
        headers = [
            (name.encode("latin-1"), value.encode("latin-1"))
            for name, value in response.headers
            if name.lower() not in _HOP_BY_HOP
        ]
        headers.append((b"Content-Length", str(len(response.body)).encode()))
        if close and http_version.startswith("1"):  # HTTP/2 has no Connection header
            headers.append((b"Connection", b"close"))
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": response.body})
