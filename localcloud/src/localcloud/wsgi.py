"""The WSGI types every layer of the moto server's stack shares (PEP 3333, loosely typed)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]


def read_body(environ: Environ) -> bytes:
    """Read the request body once and put it back for whoever reads it next."""
    cached = environ.get("localcloud.body")
    if cached is not None:
        return bytes(cached)
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["localcloud.body"] = body
    return bytes(body)
