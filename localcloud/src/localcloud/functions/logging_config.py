"""A function's ``LoggingConfig``: read from the template, reported by the Lambda API.

moto's Lambda keeps no ``LoggingConfig``, so ``GetFunction``/``GetFunctionConfiguration`` would
leave it out and ``sam logs`` (which reads ``LoggingConfig.LogGroup`` there) would look in
``/aws/lambda/<name>`` for a function that logs elsewhere. ``LoggingConfigReporter`` adds what
Lambda answers (``LogFormat``, ``LogGroup``, and the log levels for JSON) to moto's response for
the functions the local cloud runs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any, Literal, Protocol
from urllib.parse import unquote

from localcloud.specs import FunctionSpec
from localcloud.wsgi import StartResponse, WsgiApp, captured_response, with_body

CONFIGURATION_PATH = re.compile(
    r"^/2015-03-31/functions/(?P<name>[^/]+)(?P<configuration>/configuration)?/?$"
)


class SpecResolver(Protocol):
    def resolve(self, name_or_arn: str) -> FunctionSpec: ...


def from_template(config: Any) -> tuple[str, Literal["Text", "JSON"]]:
    """(LogGroup or "", LogFormat) of a resolved ``LoggingConfig`` property (absent: Lambda's)."""
    if not isinstance(config, dict):
        return "", "Text"
    group = config.get("LogGroup")
    log_format: Literal["Text", "JSON"] = (
        "JSON" if str(config.get("LogFormat", "Text")).upper() == "JSON" else "Text"
    )
    return (group if isinstance(group, str) else ""), log_format


def reported(spec: FunctionSpec) -> dict[str, str]:
    """``LoggingConfig`` as Lambda's API returns it."""
    config = {"LogFormat": spec.log_format, "LogGroup": spec.log_group_name}
    if spec.log_format == "JSON":
        config |= {"ApplicationLogLevel": "INFO", "SystemLogLevel": "INFO"}
    return config


class LoggingConfigReporter:
    """Adds ``LoggingConfig`` to moto's GetFunction(Configuration) answers for our functions."""

    def __init__(self, app: WsgiApp, resolver: Callable[[], SpecResolver | None]) -> None:
        self.app = app
        self._resolver = resolver

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        match = CONFIGURATION_PATH.match(environ.get("PATH_INFO", ""))
        resolver = self._resolver()
        if match is None or environ.get("REQUEST_METHOD") != "GET" or resolver is None:
            return self.app(environ, start_response)
        try:
            spec = resolver.resolve(unquote(match["name"]))
        except LookupError:
            return self.app(environ, start_response)
        status, headers, body = captured_response(self.app, environ)
        if status.startswith("200"):
            body = self._with_logging_config(body, spec, bool(match["configuration"]))
            headers = with_body(headers, body)
        start_response(status, headers)
        return [body]

    @staticmethod
    def _with_logging_config(body: bytes, spec: FunctionSpec, configuration_only: bool) -> bytes:
        try:
            document = json.loads(body)
        except ValueError:
            return body
        target = document if configuration_only else document.get("Configuration")
        if not isinstance(target, dict):
            return body
        target["LoggingConfig"] = reported(spec)
        return json.dumps(document).encode()
