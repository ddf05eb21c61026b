"""Which operations moto implements, and which REST operation a request is, as moto routes it."""

from __future__ import annotations

import importlib
import inspect
import io
from functools import cache
from typing import Any

from moto.core.responses import BaseResponse
from moto.core.utils import camelcase_to_underscores

# moto's package for a botocore service name, where they differ.
_MOTO_PACKAGE = {"lambda": "awslambda"}


def rest_operation(service: str, environ: dict[str, Any], body: bytes) -> str | None:
    """The operation moto's REST router matches for the request, or None."""
    from moto.core.request import Request  # noqa: PLC0415 - moto internals, on errors only
    from moto.core.routing import get_service_router  # noqa: PLC0415

    try:
        request = Request(dict(environ, **{"wsgi.input": io.BytesIO(body)}))
        operation, _ = get_service_router(service).match(request)
    except Exception:  # no model for the service, or no operation at that path
        return None
    return str(operation.name)


def moto_implements(service: str, operation: str) -> bool:
    """Whether moto's response classes for ``service`` have a method for ``operation``."""
    return camelcase_to_underscores(operation) in _moto_methods(service)


@cache
def _moto_methods(service: str) -> frozenset[str]:
    """The methods of moto's response classes for ``service``; empty when moto lacks it."""
    package = _MOTO_PACKAGE.get(service, service)
    if not package.isidentifier():
        return frozenset()
    try:
        module = importlib.import_module(f"moto.{package}.responses")
    except ImportError:
        return frozenset()
    names: set[str] = set()
    for _, cls in inspect.getmembers(module, inspect.isclass):
        if issubclass(cls, BaseResponse) and cls is not BaseResponse:
            names.update(name for name, _ in inspect.getmembers(cls, callable))
    return frozenset(names)
