"""API Gateway's own responses (403 missing token, 400 bad body, 415, 502, ...).

Each error has a gateway response type with AWS's default status and ``{"message": ...}`` body.
The definition's ``x-amazon-apigateway-gateway-responses`` override them: the entry for the type,
else ``DEFAULT_4XX`` / ``DEFAULT_5XX``. Their templates render with ``$context`` (with
``error.message``, ``error.messageString``, ``error.validationErrorString``; the last is
JSON-escaped so a template embedding it in a JSON string stays valid JSON) and
``gatewayresponse.header.*`` parameters take literals (``'value'``) or ``method.request.*`` values.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from localcloud.apigw.http_types import ApiResponse, IncomingRequest
from localcloud.apigw.request_context import with_error
from localcloud.apigw.vtl import TemplateError, render

LOGGER = logging.getLogger(__name__)

DEFAULT_STATUS = {
    "ACCESS_DENIED": 403,
    "API_CONFIGURATION_ERROR": 500,
    "BAD_REQUEST_BODY": 400,
    "BAD_REQUEST_PARAMETERS": 400,
    "EXPIRED_TOKEN": 403,
    "INTEGRATION_FAILURE": 504,
    "INTEGRATION_TIMEOUT": 504,
    "INVALID_SIGNATURE": 403,
    "MISSING_AUTHENTICATION_TOKEN": 403,
    "REQUEST_TOO_LARGE": 413,
    "RESOURCE_NOT_FOUND": 404,
    "UNAUTHORIZED": 401,
    "UNSUPPORTED_MEDIA_TYPE": 415,
}
_DEFAULT_TEMPLATE = '{"message":$context.error.messageString}'


@dataclass(eq=False)
class GatewayError(Exception):
    """Stops a request with one of API Gateway's own responses."""

    response_type: str
    message: str
    error_type: str  # x-amzn-ErrorType
    status: int | None = None  # None: the type's default
    validation_error: str | None = None
    default_template: str = _DEFAULT_TEMPLATE

    def __str__(self) -> str:
        return f"{self.response_type}: {self.message}"


def internal_error(status: int = 500) -> GatewayError:
    """What clients see when an integration fails (Lambda error, malformed proxy response, ...)."""
    return GatewayError(
        "DEFAULT_5XX",
        "Internal server error",
        "InternalServerErrorException",
        status=status,
        default_template='{"message": "Internal server error"}',
    )


def _configured(
    definition: Mapping[str, Any], response_type: str, status: int
) -> tuple[Mapping[str, Any], bool]:
    """(the definition's entry for this response, whether it is specific to the type)."""
    responses = definition.get("x-amazon-apigateway-gateway-responses") or {}
    specific = responses.get(response_type)
    if isinstance(specific, Mapping):
        return specific, True
    fallback = responses.get("DEFAULT_5XX" if status >= 500 else "DEFAULT_4XX")
    return (fallback if isinstance(fallback, Mapping) else {}), False


def _header_value(source: str, request: IncomingRequest | None) -> str | None:
    if source.startswith("'") and source.endswith("'") and len(source) >= 2:
        return source[1:-1]
    prefix = "method.request.header."
    if request is not None and source.startswith(prefix):
        return request.header(source[len(prefix) :])
    return None


def render_gateway_response(
    error: GatewayError,
    definition: Mapping[str, Any],
    context: Mapping[str, Any],
    request: IncomingRequest | None = None,
) -> ApiResponse:
    status = error.status or DEFAULT_STATUS.get(error.response_type, 500)
    configured, specific = _configured(definition, error.response_type, status)
    # A DEFAULT_4XX/5XX status code does not replace the status of a specific error type.
    if specific and "statusCode" in configured:
        status = int(configured["statusCode"])
    templates: Mapping[str, str] = configured.get("responseTemplates") or {}
    content_type, template = next(
        iter(
            [("application/json", templates["application/json"])]
            if "application/json" in templates
            else list(templates.items())
        ),
        ("application/json", error.default_template),
    )
    error_context = with_error(
        dict(context),
        message=error.message,
        response_type=error.response_type,
        validation_error=error.validation_error,
    )
    try:
        body = render(template, context=error_context)
    except TemplateError:
        LOGGER.exception("gateway response template for %s failed", error.response_type)
        body = render(_DEFAULT_TEMPLATE, context=error_context)
    headers = [("Content-Type", content_type), ("x-amzn-ErrorType", error.error_type)]
    for name, source in (configured.get("responseParameters") or {}).items():
        value = _header_value(str(source), request)
        if name.startswith("gatewayresponse.header.") and value is not None:
            headers.append((name[len("gatewayresponse.header.") :], value))
    return ApiResponse(status, headers, body.encode())
