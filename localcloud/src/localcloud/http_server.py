"""hypercorn on its own event-loop thread: the one HTTP server of both local ports.

The moto port (a WSGI app) and the API front (an ASGI app) are served the same way, so both speak
HTTP/1.1 (h11) and HTTP/2 cleartext (h2: prior knowledge and ``Upgrade: h2c``) on one port: the
JavaScript SDK v3's Kinesis client speaks HTTP/2 to an ``http://`` endpoint and gets
``Protocol error`` from an HTTP/1.1-only server.

The socket is bound here, before hypercorn starts, so a port conflict is a clear error
(``PortInUseError``) and port 0 picks a free port whose number ``port`` reports.
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

LOGGER = logging.getLogger(__name__)
# hypercorn's own lines ("Running on ... (CTRL + C to quit)") only when something is wrong.
_HYPERCORN_LOG = logging.getLogger(f"{__name__}.hypercorn")
_HYPERCORN_LOG.setLevel(logging.WARNING)

_START_TIMEOUT_S = 10.0
# On stop, open requests get this long to finish; then their connections are cut.
_GRACE_S = 2.0
_STOP_TIMEOUT_S = 5.0


class PortInUseError(OSError):
    def __init__(self, host: str, port: int, what: str, how_to_choose: str) -> None:
        super().__init__(
            errno.EADDRINUSE,
            f"Port {port} on {host} ({what}) is in use by another program. Stop that program, "
            f"or choose another port with {how_to_choose} (0: any free port).",
        )
        self.port = port

    def __str__(self) -> str:
        return str(self.strerror)


def base_config() -> Config:
    config = Config()
    config.include_server_header = False
    config.graceful_timeout = _GRACE_S
    config.accesslog = None
    config.errorlog = _HYPERCORN_LOG
    return config


class ThreadedHypercorn:
    """Serves the ASGI ``app`` until ``stop``; ``configure`` sets this port's limits on the config.

    The app runs on the loop and brings its own pool for blocking work (``IntegrationPool``,
    ``WsgiOnAsgi``).
    """

    def __init__(
        self,
        app: Any,
        *,
        name: str,
        how_to_choose_port: str,
        configure: Callable[[Config], None] = lambda config: None,
    ) -> None:
        self._app = app
        self._name = name
        self._thread_name = name.lower().replace(" ", "-")
        self._how_to_choose_port = how_to_choose_port
        self._configure = configure
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

    def start(self, host: str, port: int) -> None:
        listener = self._bind(host, port)
        self._port = int(listener.getsockname()[1])
        config = base_config()
        self._configure(config)
        config.bind = [f"fd://{listener.detach()}"]
        self._thread = threading.Thread(
            target=self._run, args=(config,), name=f"{self._thread_name}-{self._port}", daemon=True
        )
        self._thread.start()
        if not self._started.wait(_START_TIMEOUT_S) or self._failure is not None:
            raise RuntimeError(f"the {self._name} did not start") from self._failure

    def _bind(self, host: str, port: int) -> socket.socket:
        try:
            # SO_REUSEADDR (set by create_server) lets a restarted server reuse a port in TIME_WAIT.
            return socket.create_server((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise PortInUseError(host, port, self._name, self._how_to_choose_port) from None
            raise

    def _run(self, config: Config) -> None:
        with asyncio.Runner() as runner:
            self._loop = runner.get_loop()
            try:
                runner.run(self._serve(config))
            except asyncio.CancelledError:
                pass  # stopped by force (_cut_connections)
            except BaseException as error:  # reported to start() or logged at stop
                self._failure = error
                LOGGER.exception("the %s stopped with an error", self._name)
            finally:
                self._started.set()

    async def _serve(self, config: Config) -> None:
        self._stopping = asyncio.Event()
        self._main = asyncio.current_task()
        self._started.set()
        await serve(
            cast(ASGIFramework, self._app),  # our apps take plain dicts, not hypercorn's TypedDicts
            config,
            shutdown_trigger=self._stopping.wait,
            mode="asgi",
        )

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
                LOGGER.warning("the %s did not stop within %.0f s", self._name, _STOP_TIMEOUT_S)
        self._thread = None
        self._loop = None

    def _cut_connections(self) -> None:
        for task in asyncio.all_tasks():
            if task is not self._main:
                task.cancel()
