"""moto's WSGI application: the dispatcher over every service and its request handler."""

from __future__ import annotations

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)

__all__ = ["DomainDispatcherApplication", "MotoRequestHandler", "create_backend_app"]
