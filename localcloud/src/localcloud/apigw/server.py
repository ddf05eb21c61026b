"""The API front's HTTP server: hypercorn (HTTP/1.1 through h11, HTTP/2 cleartext through h2) on
its own event loop thread, serving ``asgi_front.FrontApp``.

The socket is bound here, before hypercorn starts, so a port conflict is a clear error
(``PortInUseError``) and port 0 picks a free port whose number ``port`` reports. Connections
cost no thread: hypercorn handles them on one event loop; only the gateway's calls run on the
bounded ``IntegrationPool``. Timeouts: an idle connection, or one still sending its request
head, is closed after ``idle_timeout_s``; a silent socket after ``read_timeout_s``.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
import threading
from collections.abc import Callable
from typing import Any, cast

from hypercorn.asyncio import serve
from hypercorn.config import Config
from hypercorn.typing import ASGIFramework

from localcloud.apigw import protocol_errors
from localcloud.apigw.asgi_front import FrontApp, Handler
from localcloud.apigw.front_limits import FrontLimits
from localcloud.apigw.integration_pool import IntegrationPool

LOGGER = logging.getLogger(__name__)
# hypercorn's own lines ("Running on ... (CTRL + C to quit)") only when something is wrong.
_HYPERCORN_LOG = logging.getLogger(f"{__name__}.hypercorn")
_HYPERCORN_LOG.setLevel(logging.WARNING)

_START_TIMEOUT_S = 10.0
# On stop, open requests get this long to finish; then their connections are cut.
_GRACE_S = 2.0
_STOP_TIMEOUT_S = 5.0


class PortInUseError(OSError):
    def __init__(self, host: str, port: int) -> None:
        super().__init__(
            errno.EADDRINUSE,
            f"Port {port} on {host} (API front) is in use by another program. Stop that program, "
            "or choose another port with --api-port or LOCALCLOUD_API_PORT (0: any free port).",
        )
        self.port = port

    def __str__(self) -> str:
        return str(self.strerror)


def _bind(host: str, port: int) -> socket.socket:
    try:
        # SO_REUSEADDR (set by create_server) lets a restarted front reuse a port in TIME_WAIT.
        return socket.create_server((host, port))
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise PortInUseError(host, port) from None
        raise


def _config(limits: FrontLimits, fd: int) -> Config:
    config = Config()
    config.bind = [f"fd://{fd}"]
    config.backlog = limits.listen_backlog
    config.keep_alive_timeout = limits.idle_timeout_s
    # A socket silent for longer than any legitimate pause (a body upload, the integration's
    # answer) is closed.
    config.read_timeout = int(limits.body_timeout_s + limits.integration_timeout_s + 5)
    # API Gateway's head limit is enforced (with its JSON answer) by FrontApp; h11's own,
    # larger limit only stops a head too big to be worth parsing.
    config.h11_max_incomplete_size = max(64 * 1024, 2 * limits.max_request_head_bytes)
    config.h11_pass_raw_headers = True  # header names as the client sent them
    config.include_server_header = False
    config.graceful_timeout = _GRACE_S
    config.accesslog = None
    config.errorlog = _HYPERCORN_LOG
    return config


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
        self._app = FrontApp(handler, health, self._limits, self._pool)
        self._port: int | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._main: asyncio.Task[None] | None = None
        self._started = threading.Event()
        self._failure: BaseException | None = None

    @property
    def port(self) -> int:
        assert self._port is not None, "start() first"
        return self._port

    def start(self) -> None:
        protocol_errors.install()
        listener = _bind(self._host, self._requested_port)
        self._port = int(listener.getsockname()[1])
        config = _config(self._limits, listener.detach())
        self._thread = threading.Thread(
            target=self._run, args=(config,), name=f"api-front-{self._port}", daemon=True
        )
        self._thread.start()
        if not self._started.wait(_START_TIMEOUT_S) or self._failure is not None:
            raise RuntimeError("the API front did not start") from self._failure

    def _run(self, config: Config) -> None:
        with asyncio.Runner() as runner:
            self._loop = runner.get_loop()
            try:
                runner.run(self._serve(config))
            except asyncio.CancelledError:
                pass  # stopped by force (_cut_connections)
            except BaseException as error:  # reported to start() or logged at stop
                self._failure = error
                LOGGER.exception("API front stopped with an error")
            finally:
                self._started.set()

    async def _serve(self, config: Config) -> None:
        self._stopping = asyncio.Event()
        self._main = asyncio.current_task()
        self._started.set()
        # FrontApp takes plain dicts rather than hypercorn's TypedDict events.
        app = cast(ASGIFramework, self._app)
        await serve(app, config, shutdown_trigger=self._stopping.wait, mode="asgi")

    def stop(self) -> None:
        loop, stopping, thread = self._loop, self._stopping, self._thread
        if loop is not None and stopping is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(stopping.set)
        if thread is not None:
            # hypercorn waits for every open connection (Server.wait_closed), and a client may
            # hold one open mid-request; after the grace period those are cut.
            thread.join(_GRACE_S)
            if thread.is_alive() and loop is not None:
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(self._cut_connections)
                thread.join(_STOP_TIMEOUT_S)
            if thread.is_alive():
                LOGGER.warning("the API front did not stop within %.0f s", _STOP_TIMEOUT_S)
        self._pool.shutdown()
        self._thread = None
        self._loop = None

    def _cut_connections(self) -> None:
        for task in asyncio.all_tasks():
            if task is not self._main:
                task.cancel()


def health_document(deployed: list[tuple[str, str]]) -> dict[str, Any]:
    return {"status": "ok", "apis": [{"apiId": api, "stage": stage} for api, stage in deployed]}
