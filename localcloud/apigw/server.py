"""The threaded HTTP/1.1 server of the API front (stdlib ``http.server``).

The standard library server rather than a WSGI one because WSGI folds header names to upper case
and joins repeated headers, and the proxy event shows headers as the client sent them.

It reads the body (Content-Length or chunked), enforces API Gateway's 10 MB payload limit
(413 ``{"message": "Request Too Long"}``), answers ``GET /_localcloud/health``, and hands
everything else to the handler function as an ``IncomingRequest``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from localcloud.apigw.http_types import ApiResponse, IncomingRequest

LOGGER = logging.getLogger(__name__)

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway's REST API payload quota
_MAX_DISCARD_BYTES = 4 * MAX_PAYLOAD_BYTES
HEALTH_PATH = "/_localcloud/health"

Handler = Callable[[IncomingRequest], ApiResponse]


class PayloadTooLarge(Exception):
    pass


class BadFraming(Exception):
    """The body's framing (Content-Length, chunks) is unreadable."""


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FrontHttpServer

    def _read_chunked(self) -> bytes:
        body = bytearray()
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError as error:
                raise BadFraming("bad chunk size") from error
            if size == 0:
                # Trailers, up to the empty line.
                while self.rfile.readline(1024).strip():
                    pass
                return bytes(body)
            if len(body) + size > MAX_PAYLOAD_BYTES:
                raise PayloadTooLarge
            body += self.rfile.read(size)
            self.rfile.readline(1024)  # the CRLF after each chunk

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        length_text = self.headers.get("Content-Length")
        if not length_text:
            return b""
        try:
            length = int(length_text)
        except ValueError as error:
            raise BadFraming("bad Content-Length") from error
        if length < 0:
            raise BadFraming("negative Content-Length")
        if length > MAX_PAYLOAD_BYTES:
            self._discard(length)
            raise PayloadTooLarge
        return self.rfile.read(length)

    def _discard(self, length: int) -> None:
        """Read and drop a rejected body so the client, still sending, gets the 413 intact."""
        if length > _MAX_DISCARD_BYTES:
            return  # not worth reading; the connection closes instead
        remaining = length
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 1 << 16))
            if not chunk:
                return
            remaining -= len(chunk)

    def _send(self, response: ApiResponse) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def _dispatch(self) -> None:
        raw_path, _, raw_query = self.path.partition("?")
        try:
            body = self._read_body()
        except PayloadTooLarge:
            self.close_connection = True  # a body may be left unread: the connection is done
            too_long = [("x-amzn-ErrorType", "RequestTooLongException")]
            self._send(ApiResponse.json(413, {"message": "Request Too Long"}, too_long))
            return
        except BadFraming as error:
            self.close_connection = True
            self._send(ApiResponse.json(400, {"message": f"Bad Request: {error}"}))
            return
        if raw_path == HEALTH_PATH and self.command in ("GET", "HEAD"):
            self._send(ApiResponse.json(200, self.server.health()))
            return
        request = IncomingRequest(
            method=self.command,
            raw_path=raw_path,
            raw_query=raw_query,
            headers=tuple((name, value) for name, value in self.headers.items()),
            body=body,
            source_ip=self.client_address[0],
            protocol=self.request_version,
        )
        try:
            response = self.server.handler(request)
        except Exception:  # the gateway answers every error itself; this is a last resort
            LOGGER.exception("API front handler failed")
            response = ApiResponse.json(500, {"message": "Internal server error"})
        self._send(response)

    def __getattr__(self, name: str) -> Callable[[], None]:
        # Every method, even an unknown one, goes to the gateway: like API Gateway it answers
        # 403 for a method the API lacks, where http.server would answer 501.
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        LOGGER.debug("%s - " + format, self.address_string(), *args)


class FrontHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        handler: Handler,
        health: Callable[[], dict[str, Any]],
    ) -> None:
        self.handler = handler
        self.health = health
        super().__init__(address, _RequestHandler)


def health_document(deployed: list[tuple[str, str]]) -> dict[str, Any]:
    return {"status": "ok", "apis": [{"apiId": api, "stage": stage} for api, stage in deployed]}
