"""``aws`` integration (AWS service proxy): mapping templates around a service call.

In: the request template is picked by the request's media type (``application/json`` when there
is no Content-Type). Without one, ``passthroughBehavior`` decides: ``WHEN_NO_MATCH`` (default)
passes the body through, ``WHEN_NO_TEMPLATES`` passes it only when the method has no templates at
all, ``NEVER`` answers 415 ``{"message": "Unsupported Media Type"}``. ``requestParameters`` map
``integration.request.header|querystring.*`` from literals (``'x'``), ``method.request.*`` and
``context.*``.

Out: the integration response is selected by matching each pattern against the service's HTTP
status code (``default`` when none matches, exactly as API Gateway does: with only ``default``, a
service error still answers that response's status). Its ``application/json`` template (else the
first) renders with ``$input`` over the service's JSON answer; what it sets in
``$context.responseOverride`` (status, headers) wins over the selected response, as on AWS. So a
template can tell a caller's fault from the service's own by the error code in the body, which the
status pattern cannot see. ``responseParameters`` set ``method.response.header.*`` from literals or
``integration.response.header.*``.

The service call carries ``User-Agent: AmazonAPIGateway_{api id}`` (what API Gateway sends to its
integrations), so the local cloud's fault rules can target the API front's calls.

Supported services: ``sqs`` (moto). Others are a configuration error (500), logged.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import quote

from localcloud.apigw.gateway_responses import GatewayError, internal_error
from localcloud.apigw.http_types import ApiResponse, media_type
from localcloud.apigw.integrations.base import (
    IntegrationRequest,
    IntegrationTimeout,
    IntegrationUnavailable,
    ServiceResponse,
    ServiceUri,
    parse_service_uri,
)
from localcloud.apigw.vtl import TemplateError, VtlInput, render, render_response

LOGGER = logging.getLogger(__name__)

DEFAULT_MEDIA_TYPE = "application/json"
DEFAULT_TIMEOUT_MS = 29_000  # API Gateway's maximum integration timeout
USER_AGENT_PREFIX = "AmazonAPIGateway_"


class Service(Protocol):
    def call(
        self,
        uri: ServiceUri,
        method: str,
        headers: list[tuple[str, str]],
        body: bytes,
        timeout_s: float,
    ) -> ServiceResponse: ...


def unsupported_media_type() -> GatewayError:
    return GatewayError(
        "UNSUPPORTED_MEDIA_TYPE",
        "Unsupported Media Type",
        "UnsupportedMediaTypeException",
        default_template='{"message": "Unsupported Media Type"}',
    )


def select_request_template(integration: Mapping[str, Any], content_type: str | None) -> str | None:
    """The request template for this media type; None = pass the body through; 415 otherwise."""
    templates = {
        str(kind).lower(): str(text)
        for kind, text in (integration.get("requestTemplates") or {}).items()
    }
    kind = media_type(content_type) or DEFAULT_MEDIA_TYPE
    if kind in templates:
        return templates[kind]
    behaviour = str(integration.get("passthroughBehavior") or "WHEN_NO_MATCH").upper()
    if behaviour == "WHEN_NO_MATCH" or (behaviour == "WHEN_NO_TEMPLATES" and not templates):
        return None
    raise unsupported_media_type()


def _parameter_source(source: str, call: IntegrationRequest) -> str | None:
    """The value of a mapping source: 'literal', method.request.*, context.*."""
    if len(source) >= 2 and source.startswith("'") and source.endswith("'"):
        return source[1:-1]
    params = call.single_value_params()
    for prefix, kind in (
        ("method.request.header.", "header"),
        ("method.request.querystring.", "querystring"),
        ("method.request.path.", "path"),
    ):
        if source.startswith(prefix):
            name = source[len(prefix) :]
            if kind == "header":
                return call.request.header(name)
            return params[kind].get(name)
    if source.startswith("context."):
        value: Any = call.context
        for part in source[len("context.") :].split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        return None if value is None else str(value)
    return None


def _integration_request_parts(
    call: IntegrationRequest,
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    headers: list[tuple[str, str]] = []
    query: list[tuple[str, str]] = []
    for target, source in (call.integration.get("requestParameters") or {}).items():
        value = _parameter_source(str(source), call)
        if value is None:
            continue
        if target.startswith("integration.request.header."):
            headers.append((target[len("integration.request.header.") :], value))
        elif target.startswith("integration.request.querystring."):
            query.append((target[len("integration.request.querystring.") :], value))
    return headers, query


def select_integration_response(
    responses: Mapping[str, Any], status: int
) -> Mapping[str, Any] | None:
    default: Mapping[str, Any] | None = None
    for pattern, config in responses.items():
        if not isinstance(config, Mapping):
            continue
        if pattern == "default":
            default = config
        elif re.fullmatch(pattern, str(status)):
            return config
    return default


def _response_headers(
    selected: Mapping[str, Any], answer: ServiceResponse
) -> list[tuple[str, str]]:
    """``method.response.header.*`` from literals or ``integration.response.header.*``."""
    answered = {name.lower(): value for name, value in answer.headers.items()}
    headers: list[tuple[str, str]] = []
    for target, source in (selected.get("responseParameters") or {}).items():
        text = str(source)
        value: str | None = None
        if len(text) >= 2 and text.startswith("'") and text.endswith("'"):
            value = text[1:-1]
        elif text.startswith("integration.response.header."):
            value = answered.get(text[len("integration.response.header.") :].lower())
        if target.startswith("method.response.header.") and value is not None:
            headers.append((target[len("method.response.header.") :], value))
    return headers


class AwsServiceIntegration:
    def __init__(self, services: Mapping[str, Service]) -> None:
        self._services = services

    def handle(self, call: IntegrationRequest) -> ApiResponse:
        integration = call.integration
        try:
            uri = parse_service_uri(str(integration.get("uri", "")))
        except ValueError:
            LOGGER.error(
                "%s: unsupported aws integration uri %r", call.route.key, integration.get("uri")
            )
            raise internal_error(500) from None
        service = self._services.get(uri.service)
        if service is None:
            LOGGER.error("%s: no local service for %r integrations", call.route.key, uri.service)
            raise internal_error(500)

        template = select_request_template(integration, call.request.header("Content-Type"))
        body_text = call.request.body.decode("utf-8", errors="replace")
        params = call.single_value_params()
        if template is None:
            payload = call.request.body
        else:
            payload = self._render(call, template, VtlInput(body_text, params)).encode("utf-8")
        headers, query = _integration_request_parts(call)
        headers.append(("User-Agent", f"{USER_AGENT_PREFIX}{call.context.get('apiId', '')}"))
        if query:
            uri = ServiceUri(
                uri.region,
                uri.service,
                uri.kind,
                uri.rest
                + "?"
                + "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in query),
            )
        timeout_s = float(integration.get("timeoutInMillis") or DEFAULT_TIMEOUT_MS) / 1000
        method = str(integration.get("httpMethod") or call.request.method).upper()
        try:
            answer = service.call(uri, method, headers, payload, timeout_s)
        except IntegrationTimeout:
            LOGGER.warning("%s: %s timed out", call.route.key, uri.service)
            raise GatewayError(
                "INTEGRATION_TIMEOUT",
                "Endpoint request timed out",
                "InternalServerErrorException",
                status=504,
            ) from None
        except (IntegrationUnavailable, ValueError) as error:
            LOGGER.warning("%s: %s integration failed: %s", call.route.key, uri.service, error)
            raise internal_error(500) from None
        return self._response(call, answer, params)

    def _render(self, call: IntegrationRequest, template: str, input_: VtlInput) -> str:
        try:
            return render(template, input_=input_, context=call.context)
        except TemplateError:
            LOGGER.exception("%s: mapping template failed", call.route.key)
            raise internal_error(500) from None

    def _response(
        self,
        call: IntegrationRequest,
        answer: ServiceResponse,
        params: Mapping[str, Mapping[str, str]],
    ) -> ApiResponse:
        selected = select_integration_response(
            call.integration.get("responses") or {}, answer.status
        )
        if selected is None:
            # "No match for output mapping and no default output mapping configured".
            LOGGER.error("%s: no integration response for status %s", call.route.key, answer.status)
            raise internal_error(500)
        status = int(selected.get("statusCode", 200))
        templates: Mapping[str, str] = selected.get("responseTemplates") or {}
        content_type = (
            DEFAULT_MEDIA_TYPE
            if DEFAULT_MEDIA_TYPE in templates or not templates
            else next(iter(templates))
        )
        template = templates.get(content_type)
        headers = [("Content-Type", content_type), *_response_headers(selected, answer)]
        if template is None:
            return ApiResponse(status, headers, answer.body.encode("utf-8"))
        try:
            body, override = render_response(
                template, input_=VtlInput(answer.body, params), context=call.context
            )
        except TemplateError:
            LOGGER.exception("%s: response mapping template failed", call.route.key)
            raise internal_error(500) from None
        if override.headers:
            overridden = {name.lower() for name in override.headers}
            headers = [(k, v) for k, v in headers if k.lower() not in overridden]
            headers.extend(override.headers.items())
        final_status = override.status or status
        if final_status >= 500:  # the service's error document, for whoever operates the API
            LOGGER.warning(
                "%s: the integration answered %s (%s), the client gets %s",
                call.route.key,
                answer.status,
                answer.body[:1000],
                final_status,
            )
        return ApiResponse(final_status, headers, body.encode("utf-8"))
