"""The local cloud's own endpoints on the moto port (``/_localcloud/...``), apart from AWS's.

- ``GET /_localcloud/pollers``: every event source mapping loop's health (ok, or backing off
  with its failure count and last error), what ``localcloud status`` prints;
- a ``POST`` must say ``Content-Type: application/json`` (415 otherwise): a browser cannot
  send that cross-origin without a preflight, and ``BrowserGuard`` refuses preflights from
  other origins to these paths. ``DELETE``, ``PUT`` and ``PATCH`` are never "simple" requests:
  a browser always preflights them. So a web page cannot drive these endpoints, even where it
  could send a request without reading the answer;
- everything else passes on (``/_localcloud/faults`` is served by ``localcloud.faults``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from localcloud.browser_guard import CONTROL_PREFIX
from localcloud.wsgi import Environ, StartResponse, WsgiApp

HealthSource = Callable[[], list[dict[str, Any]]]

POLLERS_PATH = CONTROL_PREFIX + "pollers"


class ControlEndpoints:
    def __init__(self, app: WsgiApp) -> None:
        self.app = app
        self.poller_health: HealthSource | None = None

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(CONTROL_PREFIX):
            return self.app(environ, start_response)
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "POST" and not _is_json(environ.get("CONTENT_TYPE", "")):
            return json_reply(
                start_response,
                "415 Unsupported Media Type",
                {"message": f"{method} {path} needs Content-Type: application/json"},
            )
        if path.rstrip("/") == POLLERS_PATH:
            if method != "GET":
                return json_reply(start_response, "405 Method Not Allowed", {"message": "GET"})
            health = self.poller_health() if self.poller_health is not None else []
            return json_reply(start_response, "200 OK", {"pollers": health})
        return self.app(environ, start_response)


def _is_json(content_type: str) -> bool:
    return content_type.split(";", 1)[0].strip().lower() == "application/json"


def json_reply(start_response: StartResponse, status: str, document: Any) -> list[bytes]:
    body = json.dumps(document).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]
