"""HTTP/1.1 requests from one client connection to local upstreams, one exchange at a time.

Parsed with h11 on both sides, so the client's connection (often a TLS tunnel that cost a CONNECT
and a handshake) outlives the upstream's: the moto port closes after every response, and a
client kept on would otherwise pay a new tunnel per SDK call (measured: ~100 ms instead of ~5).
An upstream connection is reused while the upstream keeps it open.

Request bodies and responses stream through (never buffered whole); the request body is sent
while the response is read, so ``Expect: 100-continue`` works. Hop-by-hop headers are dropped on
the way in both directions; everything else — Host, SigV4 ``Authorization``, ``x-amz-*`` — is
passed unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

import h11

LOGGER = logging.getLogger(__name__)

CHUNK = 64 * 1024
IDLE_TIMEOUT_S = 120.0  # a client connection with no next request is closed after this
MAX_HEAD_BYTES = 16 * 1024
_REQUEST_HOP_BY_HOP = {
    b"connection", b"keep-alive", b"proxy-connection", b"proxy-authorization", b"te",
    b"upgrade", b"http2-settings",
}  # fmt: skip
_RESPONSE_HOP_BY_HOP = {b"connection", b"keep-alive", b"upgrade"}

Address = tuple[str, int]


class BadRequest(Exception):
    """The client's request cannot be served; the message is what the client is told."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Route:
    address: Address
    target: bytes  # the request target to send upstream (origin form)


# Where a request goes: raises BadRequest for a host the proxy does not serve.
Router = Callable[[h11.Request], Route]


@dataclass
class Side:
    """One end of an exchange: its streams and its h11 state."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    connection: h11.Connection

    async def next_event(self, timeout_s: float = IDLE_TIMEOUT_S) -> object:
        while True:
            try:
                event = self.connection.next_event()
            except h11.RemoteProtocolError as error:
                raise BadRequest(error.error_status_hint, f"localcloud proxy: {error}") from None
            if event is not h11.NEED_DATA:
                return event
            async with asyncio.timeout(timeout_s):
                self.connection.receive_data(await self.reader.read(CHUNK))

    async def send(self, event: h11.Event) -> None:
        data = self.connection.send(event)
        if data:
            self.writer.write(data)
            await self.writer.drain()

    def close(self) -> None:
        self.writer.close()


def client_side(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> Side:
    return Side(
        reader, writer, h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD_BYTES)
    )


def _without(
    event: h11.Request | h11.Response | h11.InformationalResponse, names: set[bytes]
) -> list[tuple[bytes, bytes]]:
    """The event's headers, names cased as received (the front shows them so), less NAMES and
    the hop-by-hop headers a Connection header names."""
    headers = event.headers
    named = {
        token.strip().lower()
        for name, value in headers
        if name == b"connection"
        for token in value.split(b",")
    }
    dropped = names | named
    return [(name, value) for name, value in headers.raw_items() if name.lower() not in dropped]


async def _send_body(client: Side, upstream: Side) -> None:
    while True:
        event = await client.next_event()
        if isinstance(event, h11.Data | h11.EndOfMessage):
            await upstream.send(event)
            if isinstance(event, h11.EndOfMessage):
                return
        else:
            raise ConnectionError("the client went away mid-request")


async def _relay_response(client: Side, upstream: Side) -> None:
    answered = False
    while True:
        try:
            event = await upstream.next_event(timeout_s=IDLE_TIMEOUT_S)
        except BadRequest:
            event = h11.ConnectionClosed()  # what h11 makes of a close before the answer
        if isinstance(event, h11.ConnectionClosed) and not answered:
            # Nothing sent to the client yet: it can still be told, as a gateway would.
            raise BadRequest(
                502, "localcloud proxy: the local cloud closed the connection without answering"
            )
        if isinstance(event, h11.InformationalResponse | h11.Response):
            answered = isinstance(event, h11.Response)
            headers = _without(event, _RESPONSE_HOP_BY_HOP)
            kind = type(event)
            await client.send(
                kind(status_code=event.status_code, headers=headers, reason=event.reason)
            )
        elif isinstance(event, h11.Data | h11.EndOfMessage):
            await client.send(event)
            if isinstance(event, h11.EndOfMessage):
                return
        else:
            raise ConnectionError("the upstream closed mid-response")


class Upstreams:
    """The open upstream connection of one client connection, reused while it stays open."""

    def __init__(self) -> None:
        self._side: Side | None = None
        self._address: Address | None = None

    async def for_address(self, address: Address) -> Side:
        side = self._side
        if side is not None and self._address == address:
            if side.connection.states == {h11.CLIENT: h11.DONE, h11.SERVER: h11.DONE}:
                side.connection.start_next_cycle()
            # An idle connection the upstream has closed since (the API front does after its
            # keep-alive timeout) has its EOF read already: sending on it would get no answer.
            if side.connection.our_state is h11.IDLE and not side.reader.at_eof():
                return side
        self.close()
        reader, writer = await asyncio.open_connection(*address)
        self._side = Side(reader, writer, h11.Connection(h11.CLIENT))
        self._address = address
        return self._side

    def close(self) -> None:
        if self._side is not None:
            self._side.close()
        self._side = None


async def refuse(client: Side, refused: BadRequest) -> None:
    """Answer ``{"message"}`` with the refusal's status, then the connection is closed."""
    body = json.dumps({"message": refused.message}).encode()
    headers = [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(body))),
        ("Connection", "close"),
    ]
    with contextlib.suppress(h11.LocalProtocolError, ConnectionError, OSError):
        await client.send(h11.Response(status_code=refused.status, headers=headers))
        await client.send(h11.Data(data=body))
        await client.send(h11.EndOfMessage())


async def forward_requests(client: Side, route: Router, first: object = None) -> None:
    """Serve the client's requests (``first``: one already read) until it closes or asks to; a
    refused request is answered with its message and ends the connection."""
    try:
        await _forward(client, route, first)
    except BadRequest as refused:
        LOGGER.warning("proxy: %s", refused.message)
        await refuse(client, refused)


async def _forward(client: Side, route: Router, first: object) -> None:
    upstreams = Upstreams()
    try:
        while True:
            event, first = first or await client.next_event(), None
            if not isinstance(event, h11.Request):
                return  # closed, or idle past the timeout
            destination = route(event)
            upstream = await upstreams.for_address(destination.address)
            await upstream.send(
                h11.Request(
                    method=event.method,
                    target=destination.target,
                    headers=_without(event, _REQUEST_HOP_BY_HOP),
                )
            )
            body = asyncio.create_task(_send_body(client, upstream))
            try:
                await _relay_response(client, upstream)
                await body
            finally:
                body.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await body
            if client.connection.our_state is h11.MUST_CLOSE:
                return
            client.connection.start_next_cycle()
    finally:
        upstreams.close()
