"""The WSGI types every layer of the moto server's stack shares (PEP 3333, loosely typed), and
the one reader of request bodies for the layers that look at a body before moto does."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]

_BODY_KEY = "localcloud.body"


def read_body(environ: Environ) -> bytes:
    """Read the request body once and put it back for whoever reads it next.

    A body without a Content-Length (chunked) is left in ``wsgi.input`` for moto to read.
    """
    cached = environ.get(_BODY_KEY)
    if cached is not None:
        return bytes(cached)
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if not length:
        return b""
    body: bytes = environ["wsgi.input"].read(length)
    replace_body(environ, body)
    return body


def replace_body(environ: Environ, body: bytes) -> None:
    """Make ``body`` the request body for the layers below (and ``read_body``)."""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ[_BODY_KEY] = body


def captured_response(app: WsgiApp, environ: Environ) -> tuple[str, list[tuple[str, str]], bytes]:
    """Run ``app`` and return its status, headers and whole body, for a layer that rewrites it."""
    captured: dict[str, Any] = {}

    def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured.update(status=status, headers=headers)
        return lambda _data: None

    body = b"".join(app(environ, capture))
    return captured["status"], captured["headers"], body


def with_body(headers: list[tuple[str, str]], body: bytes) -> list[tuple[str, str]]:
    """``headers`` with the Content-Length of a rewritten ``body``."""
    kept = [(k, v) for k, v in headers if k.lower() != "content-length"]
    return [*kept, ("Content-Length", str(len(body)))]
