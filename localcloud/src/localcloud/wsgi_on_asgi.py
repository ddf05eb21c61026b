"""moto's WSGI app served as an ASGI app that answers each request in one piece.

hypercorn's own WSGI mode sends a response as its chunks, then an empty final DATA frame that
ends the HTTP/2 stream. The JavaScript SDK v3 (``@smithy/node-http-handler``'s HTTP/2 handler)
then loses the body of some answers: ``ListStreams`` came back ``{}`` in 6 of 15 calls, and 0 of
15 once the body and the end of the stream travel together, as AWS sends them. moto builds every
answer in memory anyway, so nothing is lost by sending it whole.

The WSGI call runs on a bounded pool of threads: a synchronous Lambda Invoke holds one while its
function, calling moto, needs another, so the bound is far above what the local cloud's callers
use; threads are made as requests arrive.
"""

from __future__ import annotations

import asyncio
import io
import sys
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import unquote

from localcloud.wsgi import Environ, WsgiApp

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Answer = tuple[int, list[tuple[bytes, bytes]], bytes]
# Hook for header spellings WSGI folds away (moto keeps S3 metadata names with underscores).
HeaderNamesHook = Callable[[Environ, list[str]], None]


def _environ(scope: dict[str, Any], body: bytes) -> Environ:
    path = scope.get("raw_path") or scope["path"].encode()
    path_info = unquote(path.split(b"?", 1)[0].decode("latin-1"), encoding="latin-1")
    server = scope.get("server") or ("localhost", 80)
    environ: Environ = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": "",
        "PATH_INFO": path_info,
        "QUERY_STRING": scope["query_string"].decode("latin-1"),
        "SERVER_NAME": server[0],
        "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": f"HTTP/{scope['http_version']}",
        "CONTENT_LENGTH": str(len(body)),  # HTTP/2 may send none: its frames end the body
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if scope.get("client"):
        environ["REMOTE_ADDR"] = scope["client"][0]
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1").lower()
        if name == "content-length":
            continue
        key = "CONTENT_TYPE" if name == "content-type" else f"HTTP_{name.upper().replace('-', '_')}"
        value = raw_value.decode("latin-1")
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


def _call(app: WsgiApp, environ: Environ) -> Answer:
    started: list[tuple[int, list[tuple[bytes, bytes]]]] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started[:] = [
            (
                int(status.split(" ", 1)[0]),
                [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in headers],
            )
        ]
        return lambda data: None  # the legacy write() callable; moto never uses it

    chunks: Iterable[bytes] = app(environ, start_response)
    try:
        body = b"".join(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    status, headers = started[0]
    return status, headers, body


class WsgiOnAsgi:
    def __init__(
        self,
        app: WsgiApp,
        *,
        threads: int,
        max_body_bytes: int,
        header_names: HeaderNamesHook | None = None,
    ) -> None:
        self._app = app
        self._max_body_bytes = max_body_bytes
        self._header_names = header_names
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="moto-request")

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        # Lifespan events are not needed (returning at once is how an ASGI app declines them).
        if scope["type"] != "http":
            return
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if len(body) > self._max_body_bytes:
                await self._answer(send, (413, [], b""))
                return
            if not message.get("more_body"):
                break
        environ = _environ(scope, bytes(body))
        if self._header_names is not None:
            self._header_names(environ, [name.decode("latin-1") for name, _ in scope["headers"]])
        loop = asyncio.get_running_loop()
        await self._answer(send, await loop.run_in_executor(self._pool, _call, self._app, environ))

    @staticmethod
    async def _answer(send: Send, answer: Answer) -> None:
        status, headers, body = answer
        # A HEAD answer's length is the resource's (S3 HeadObject), not its empty body's.
        if (
            status >= 200
            and status not in (204, 304)
            and all(n != b"content-length" for n, _ in headers)
        ):
            headers = [*headers, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
