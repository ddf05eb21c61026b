"""The proxy: HTTP CONNECT (and absolute-form plain HTTP) for AWS hosts only, answered locally.

A client with ``HTTPS_PROXY`` set asks ``CONNECT sqs.us-east-1.amazonaws.com:443``; the proxy
answers 200, terminates TLS itself with that host's leaf certificate (signed by the local CA the
client was told to trust) and forwards each decrypted HTTP/1.1 request (``forwarding``),
unchanged — Host header and SigV4 signature included — to the local upstream
``hosts.upstream_for`` picks. A host that is not AWS's gets 502 ``{"message"}`` and nothing is
connected: the proxy never reaches the internet.

HTTP parsing is h11's; TLS is the standard library's (asyncio ``start_tls``). One asyncio loop in
a thread serves every connection, as the API front does (no thread per connection).
"""

from __future__ import annotations

import asyncio
import errno
import logging
import ssl
import threading
from collections.abc import Mapping
from urllib.parse import urlsplit

import h11

from localcloud.proxy.ca import LocalCa
from localcloud.proxy.forwarding import (
    Address,
    BadRequest,
    Route,
    Side,
    client_side,
    forward_requests,
    refuse,
)
from localcloud.proxy.hosts import Upstream, upstream_for

LOGGER = logging.getLogger(__name__)

TLS_HANDSHAKE_TIMEOUT_S = 30.0


class _PortInUseError(OSError):
    """The command line prints an EADDRINUSE error as the one line a user needs (as the API
    front's ``PortInUseError``)."""

    def __str__(self) -> str:
        return str(self.strerror)


def _port_in_use(host: str, port: int) -> OSError:
    return _PortInUseError(
        errno.EADDRINUSE,
        f"Port {port} on {host} (AWS proxy) is in use by another program. Stop that program, "
        "or choose another port with --proxy-port or LOCALCLOUD_PROXY_PORT (0: any free port).",
    )


def _refused_host(host: str) -> BadRequest:
    return BadRequest(
        502,
        f"localcloud proxy: {host} is not an AWS endpoint; the proxy answers *.amazonaws.com "
        "from the local cloud and connects nowhere else (put the host in NO_PROXY to reach it "
        "directly)",
    )


def _split_authority(authority: str, default_port: int) -> tuple[str, int]:
    host, colon, port = authority.rpartition(":")
    if not colon or not port.isdigit():
        return authority.strip("[]"), default_port
    return host.strip("[]"), int(port)


class AwsProxy:
    def __init__(
        self,
        ca: LocalCa,
        upstreams: Mapping[Upstream, Address],
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self._ca = ca
        self._upstreams = dict(upstreams)
        self._host = host
        self._port = port
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._startup_error: BaseException | None = None
        self._connections: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self._port}"

    @property
    def port(self) -> int:
        return self._port

    def start(self) -> None:
        if self._thread is not None:
            return
        ready = threading.Event()
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._main(ready)), name="localcloud-proxy", daemon=True
        )
        self._thread.start()
        ready.wait(30)
        if self._startup_error is not None:
            self._thread.join(5)
            self._thread = None
            raise self._startup_error
        LOGGER.info("AWS proxy on %s (CA %s)", self.url, self._ca.files.cert)

    def stop(self) -> None:
        if self._thread is None or self._loop is None or self._stopping is None:
            return
        self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(10)
        self._thread = None

    async def _main(self, ready: threading.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        try:
            server = await asyncio.start_server(self._serve, self._host, self._port, backlog=1024)
        except OSError as error:
            self._startup_error = (
                _port_in_use(self._host, self._port) if error.errno == errno.EADDRINUSE else error
            )
            ready.set()
            return
        except BaseException as error:
            self._startup_error = error
            ready.set()
            return
        self._port = int(server.sockets[0].getsockname()[1])
        ready.set()
        async with server:
            await self._stopping.wait()
            server.close()
            for writer in list(self._connections):
                writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._connections.add(writer)
        client = client_side(reader, writer)
        try:
            first = await client.next_event()
            if isinstance(first, h11.Request) and first.method == b"CONNECT":
                await self._tunnel(client, first)
            elif isinstance(first, h11.Request):
                await forward_requests(client, self._plain_route, first)
        except BadRequest as refused:
            LOGGER.warning("proxy: %s", refused.message)
            await refuse(client, refused)
        except (ConnectionError, OSError, TimeoutError) as gone:
            LOGGER.debug("proxy connection ended: %r", gone)
        finally:
            self._connections.discard(writer)
            writer.close()

    def _upstream_of(self, host: str) -> Address:
        upstream = upstream_for(host)
        if upstream is None:
            raise _refused_host(host)
        address = self._upstreams.get(upstream)
        if address is None:
            raise BadRequest(502, f"localcloud proxy: the local cloud runs no {upstream.value}")
        return address

    async def _tunnel(self, client: Side, request: h11.Request) -> None:
        host, _port = _split_authority(request.target.decode("latin-1"), 443)
        address = self._upstream_of(host)
        await client.send(h11.Response(status_code=200, headers=[]))
        if client.connection.trailing_data[0]:
            # TLS bytes sent before the 200 would be lost in the switch to TLS.
            LOGGER.warning("proxy: %s sent data before the CONNECT answer; closed", host)
            return
        try:
            await client.writer.start_tls(
                self._ca.server_context(host), ssl_handshake_timeout=TLS_HANDSHAKE_TIMEOUT_S
            )
        except ssl.SSLError as error:
            # Most often the client does not trust the local CA: say where it is.
            LOGGER.warning(
                "proxy: TLS with a client for %s failed (%s); does it trust %s?",
                host,
                error.reason,
                self._ca.files.cert,
            )
            return
        LOGGER.debug("proxy: %s -> %s:%d", host, *address)
        inner = client_side(client.reader, client.writer)
        await forward_requests(inner, lambda tunnelled: Route(address, tunnelled.target))

    def _plain_route(self, request: h11.Request) -> Route:
        """``GET http://host/path``: to the host's upstream, in origin form."""
        target = urlsplit(request.target.decode("latin-1"))
        if target.scheme != "http" or not target.hostname:
            raise BadRequest(
                400, "localcloud proxy: send CONNECT host:443 or an absolute http:// URL"
            )
        origin_form = (target.path or "/") + (f"?{target.query}" if target.query else "")
        return Route(self._upstream_of(target.hostname), origin_form.encode("latin-1"))
