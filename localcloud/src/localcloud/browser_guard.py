"""What a web page in the developer's browser may do with the local cloud: nothing, by default.

moto's server turns on flask-cors for every route, which echoes any ``Origin`` in
``Access-Control-Allow-Origin``: any page the developer opens could read, change and delete
local data. And CORS only guards what a page may *read*: a "simple" cross-origin request
(a form POST, ``text/plain``, a GET from an ``<img>``) reaches the server and runs without any
preflight. So this middleware, in front of everything on the moto port:

- answers with no CORS headers of moto's (they are removed from every response);
- refuses (403, before anything runs) a request with a foreign ``Origin``, and a request the
  browser marks as cross-site (``Sec-Fetch-Site``) without an allowed ``Origin``;
- answers preflights itself: CORS grants for allowed origins only, 403 for the rest;
- refuses (403) a ``Host`` that names the server by a domain other than a local or AWS one: a
  page that rebinds its own domain's DNS to 127.0.0.1 is "same-origin" for the browser, which
  then sends no ``Origin`` on a GET; its ``Host`` header still carries the page's domain.

An origin is allowed when it is the server's own (same origin) or is in the allow-list, empty
unless the user opts in (``--cors-allow-origin``, ``LOCALCLOUD_CORS_ORIGINS``; ``*`` allows
every origin). LocalStack grants CORS to a short list of its own web apps by default; a local
cloud has no web app of its own, so its list starts empty. Clients that are not browsers
(SDKs, the CLI, curl) send no ``Origin`` and are not affected.
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Iterable
from typing import Any

from localcloud.wsgi import Environ, StartResponse, WsgiApp

ORIGINS_ENV = "LOCALCLOUD_CORS_ORIGINS"
ANY_ORIGIN = "*"
ALLOWED_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE"
PREFLIGHT_MAX_AGE_S = "600"
# The control endpoints (/_localcloud/...) are for the developer's tools, never for a web page.
CONTROL_PREFIX = "/_localcloud/"


def origins_from_env(environ: dict[str, str] | None = None) -> tuple[str, ...]:
    value = (environ if environ is not None else os.environ).get(ORIGINS_ENV, "")
    return normalise_origins(value.split(","))


def normalise_origins(origins: Iterable[str]) -> tuple[str, ...]:
    """Origins as browsers send them: scheme://host[:port], no path, no trailing slash."""
    return tuple(dict.fromkeys(o.strip().rstrip("/") for o in origins if o.strip()))


# Host names a client of a local server uses. An attacker's rebinding domain is none of these.
_LOCAL_HOST_SUFFIXES = (".localhost", ".amazonaws.com", ".amazonaws.com.cn")
_LOCAL_HOSTS = frozenset({"localhost", "host.docker.internal"})


def is_local_host(host_header: str) -> bool:
    """Whether ``Host`` names this server as a local client would: an IP, localhost, AWS."""
    host = host_header.strip().lower()
    if host.startswith("["):  # [::1]:4566
        return True
    host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    if host.count(":") > 1:  # a bare IPv6 address
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host in _LOCAL_HOSTS or host.endswith(_LOCAL_HOST_SUFFIXES)
    return True


class BrowserGuard:
    """WSGI middleware enforcing the origin policy above around ``app``."""

    def __init__(self, app: WsgiApp, allowed_origins: Iterable[str] = ()) -> None:
        self.app = app
        self.allowed_origins = frozenset(normalise_origins(allowed_origins))

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        host = environ.get("HTTP_HOST")
        if host is not None and not is_local_host(host):
            return _refuse(start_response, f"host {host} is not a local name", hint=False)
        origin = environ.get("HTTP_ORIGIN")
        control = environ.get("PATH_INFO", "").startswith(CONTROL_PREFIX)
        allowed = origin is not None and self._allowed(origin, environ, control)
        if _is_preflight(environ):
            if not allowed:
                return _refuse(start_response, f"origin {origin} is not allowed")
            return self._preflight(environ, start_response, str(origin))
        if origin is not None and not allowed:
            return _refuse(start_response, f"origin {origin} is not allowed")
        if origin is None and _cross_site(environ):
            # An <img>, <script> or navigation from another site: no Origin to check.
            return _refuse(start_response, "cross-site requests need an allowed Origin")

        def start_without_moto_cors(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            kept = [(k, v) for k, v in headers if not k.lower().startswith("access-control-")]
            if allowed and origin is not None and not _same_origin(origin, environ):
                kept += _grant(origin)
            return start_response(status, kept, *rest)

        return self.app(environ, start_without_moto_cors)

    def _allowed(self, origin: str, environ: Environ, control: bool) -> bool:
        if _same_origin(origin, environ):
            return True
        if control:
            return False
        return ANY_ORIGIN in self.allowed_origins or origin.rstrip("/") in self.allowed_origins

    @staticmethod
    def _preflight(environ: Environ, start_response: StartResponse, origin: str) -> list[bytes]:
        headers = [
            *_grant(origin),
            ("Access-Control-Allow-Methods", ALLOWED_METHODS),
            ("Access-Control-Max-Age", PREFLIGHT_MAX_AGE_S),
            ("Content-Length", "0"),
        ]
        requested = environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS")
        if requested:
            headers.append(("Access-Control-Allow-Headers", requested))
        start_response("200 OK", headers)
        return [b""]


def _is_preflight(environ: Environ) -> bool:
    return (
        environ.get("REQUEST_METHOD") == "OPTIONS"
        and "HTTP_ORIGIN" in environ
        and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ
    )


def _cross_site(environ: Environ) -> bool:
    return environ.get("HTTP_SEC_FETCH_SITE") in ("cross-site", "same-site")


def _same_origin(origin: str, environ: Environ) -> bool:
    host = environ.get("HTTP_HOST")
    scheme = environ.get("wsgi.url_scheme", "http")
    return host is not None and origin.rstrip("/") == f"{scheme}://{host}"


def _grant(origin: str) -> list[tuple[str, str]]:
    return [
        ("Access-Control-Allow-Origin", origin),
        # SDKs in the browser read request ids, ETags and error types from the headers.
        ("Access-Control-Expose-Headers", "*"),
        ("Vary", "Origin"),
    ]


def _refuse(start_response: StartResponse, message: str, hint: bool = True) -> list[bytes]:
    if hint:
        message += (
            ": the local cloud refuses requests from web pages unless their origin is allowed "
            f"(--cors-allow-origin or {ORIGINS_ENV})"
        )
    else:
        message += ": use an IP address, localhost or *.localhost"
    body = json.dumps({"message": message}).encode()
    start_response(
        "403 Forbidden",
        [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
    )
    return [body]
