"""moto's WSGI application: the dispatcher over every service."""

from __future__ import annotations

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    create_backend_app,
)

__all__ = ["DomainDispatcherApplication", "create_backend_app"]
