"""hypercorn's answers to unparseable HTTP/1.1, in API Gateway's ``{"message": ...}`` shape.

h11 refuses bad framing itself (a chunk size that is not plain hex such as ``-1``, ``0x10`` or
``1_0``; a non-numeric or conflicting ``Content-Length``; a bad request line; a head over its
size limit) and hypercorn then answers the status h11 suggests (400, 431) with an empty body.
This subclass answers the same status with a JSON message instead. h11 merges repeated *equal*
``Content-Length`` headers (RFC 9110 section 8.6 allows it), which hides a request smuggling
probe and disagrees with proxies that take the first or the last: the subclass reads each
request head as it arrives and refuses a second ``Content-Length`` line with the same 400 before
h11 sees it.
hypercorn picks its HTTP/1.1 protocol class by name in ``hypercorn.protocol``, so ``install()``
puts this one there (checked by the API front's tests against the pinned hypercorn).
"""

from __future__ import annotations

import json
import re
from http import HTTPStatus
from itertools import chain

import h11
import hypercorn.protocol
from hypercorn.events import Closed, Event, RawData
from hypercorn.protocol.h11 import H11Protocol

_CONTENT_LENGTH_LINE = re.compile(rb"\r\ncontent-length[ \t]*:", re.IGNORECASE)
_HEAD_END = b"\r\n\r\n"


def _phrase(status_code: int) -> str:
    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return "Bad Request"


def repeats_content_length(head: bytes) -> bool:
    """Whether a request head (request line and header lines) has two Content-Length lines."""
    return len(_CONTENT_LENGTH_LINE.findall(head)) > 1


class JsonErrorH11Protocol(H11Protocol):
    _head = b""  # the bytes of a request head still arriving (h11 waits for a new request)

    async def handle(self, event: Event) -> None:
        if isinstance(event, RawData) and self.connection.their_state is h11.IDLE:
            self._head += event.data
            end = self._head.find(_HEAD_END)
            head = self._head if end < 0 else self._head[: end + 2]
            if end >= 0 or len(self._head) > self.config.h11_max_incomplete_size:
                self._head = b""
            if repeats_content_length(head):
                # h11 has seen no error (nor a request), so it would refuse to send a response:
                # the answer is written as bytes, in the shape _send_error_response gives.
                body = json.dumps({"message": _phrase(400)}).encode()
                await self.send(
                    RawData(
                        data=b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\n"
                        + b"content-length: %d\r\nconnection: close\r\n\r\n" % len(body)
                        + body
                    )
                )
                await self.send(Closed())
                return
        await super().handle(event)

    async def _send_error_response(self, status_code: int) -> None:
        phrase = _phrase(status_code)
        body = json.dumps({"message": phrase}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        await self._send_h11_event(
            h11.Response(
                status_code=status_code,
                headers=list(chain(headers, self.config.response_headers("h11"))),
                reason=phrase.encode(),
            )
        )
        await self._send_h11_event(h11.Data(data=body))
        await self._send_h11_event(h11.EndOfMessage())


def install() -> None:
    setattr(hypercorn.protocol, "H11Protocol", JsonErrorH11Protocol)  # noqa: B010
