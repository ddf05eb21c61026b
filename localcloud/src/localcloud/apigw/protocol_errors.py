"""hypercorn's answers to unparseable HTTP/1.1, in API Gateway's ``{"message": ...}`` shape.

h11 refuses bad framing itself (a chunk size that is not plain hex such as ``-1``, ``0x10`` or
``1_0``; a non-numeric or conflicting ``Content-Length``; a bad request line; a head over its
size limit) and hypercorn then answers the status h11 suggests (400, 431) with an empty body.
This subclass answers the same status with a JSON message instead. (Repeated *equal*
``Content-Length`` values are merged by h11, as RFC 9110 section 8.6 allows, and served.)
hypercorn picks its HTTP/1.1 protocol class by name in ``hypercorn.protocol``, so ``install()``
puts this one there (checked by the API front's tests against the pinned hypercorn).
"""

from __future__ import annotations

import json
from http import HTTPStatus
from itertools import chain

import h11
import hypercorn.protocol
from hypercorn.protocol.h11 import H11Protocol


def _phrase(status_code: int) -> str:
    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return "Bad Request"


class JsonErrorH11Protocol(H11Protocol):
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
