"""The API front's HTTP server: ``asgi_front.FrontApp`` on ``localcloud.http_server`` (hypercorn:
HTTP/1.1 and HTTP/2 cleartext on one event loop thread, the socket bound first).

Connections cost no thread: hypercorn handles them on one event loop; only the gateway's calls
run on the bounded ``IntegrationPool``. Timeouts: an idle connection, or one still sending its
request head, is closed after ``idle_timeout_s``; a silent socket after ``read_timeout_s``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypercorn.config import Config

from localcloud.apigw import protocol_errors
from localcloud.apigw.asgi_front import FrontApp, Handler
from localcloud.apigw.front_limits import FrontLimits
from localcloud.apigw.integration_pool import IntegrationPool
from localcloud.http_server import PortInUseError, ThreadedHypercorn

__all__ = ["FrontHttpServer", "PortInUseError", "health_document"]


def _configure(limits: FrontLimits) -> Callable[[Config], None]:
    def configure(config: Config) -> None:
        config.backlog = limits.listen_backlog
        config.keep_alive_timeout = limits.idle_timeout_s
        # A socket silent for longer than any legitimate pause (a body upload, the integration's
        # answer) is closed.
        config.read_timeout = int(limits.body_timeout_s + limits.integration_timeout_s + 5)
        # API Gateway's head limit is enforced (with its JSON answer) by FrontApp; h11's own,
        # larger limit only stops a head too big to be worth parsing.
        config.h11_max_incomplete_size = max(64 * 1024, 2 * limits.max_request_head_bytes)
        config.h11_pass_raw_headers = True  # header names as the client sent them

    return configure


class FrontHttpServer:
    def __init__(
        self,
        host: str,
        port: int,
        handler: Handler,
        health: Callable[[], dict[str, Any]],
        limits: FrontLimits | None = None,
    ) -> None:
        self._host = host
        self._requested_port = port
        self._limits = limits or FrontLimits()
        self._pool = IntegrationPool(self._limits.max_in_flight)
        self._server = ThreadedHypercorn(
            FrontApp(handler, health, self._limits, self._pool),
            name="API front",
            how_to_choose_port="--api-port or LOCALCLOUD_API_PORT",
            configure=_configure(self._limits),
        )

    @property
    def port(self) -> int:
        return self._server.port

    def start(self) -> None:
        protocol_errors.install()
        self._server.start(self._host, self._requested_port)

    def stop(self) -> None:
        self._server.stop()
        self._pool.shutdown()


def health_document(deployed: list[tuple[str, str]]) -> dict[str, Any]:
    return {"status": "ok", "apis": [{"apiId": api, "stage": stage} for api, stage in deployed]}
