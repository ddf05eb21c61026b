"""``aws_proxy`` integration: invoke the function with the proxy event, map its response.

A function error (unhandled exception, timeout, crash, or a response over Lambda's synchronous
payload limit, which the invoke path enforces: ``localcloud.functions.limits``) or a malformed
proxy response is API Gateway's 502 ``{"message": "Internal server error"}``; the reason goes to
the log only. A request whose proxy event is over Lambda's 6 MB request limit is 413
``{"message": "Request Entity Too Large"}``: the function never runs.
"""

from __future__ import annotations

import logging

from localcloud.apigw.gateway_responses import GatewayError, internal_error
from localcloud.apigw.http_types import ApiResponse
from localcloud.apigw.integrations.base import IntegrationRequest, parse_service_uri
from localcloud.apigw.proxy_event import MalformedProxyResponse, build_proxy_event, proxy_response
from localcloud.functions.limits import RequestTooLarge
from localcloud.specs import Invoker

LOGGER = logging.getLogger(__name__)


def function_name_from_uri(uri: str) -> str:
    """``arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function arn}/invocations``
    -> the function's name (the Invoker runs functions by name)."""
    parsed = parse_service_uri(uri)
    prefix, _, rest = parsed.rest.partition("/functions/")
    function_arn = rest.removesuffix("/invocations")
    if parsed.service != "lambda" or not prefix or not function_arn:
        raise ValueError(f"not a Lambda invocation URI: {uri!r}")
    if function_arn.startswith("arn:"):
        # arn:aws:lambda:{region}:{account}:function:{name}[:{qualifier}]
        fields = function_arn.split(":")
        return fields[6] if len(fields) > 6 else fields[-1]
    return function_arn


class LambdaProxyIntegration:
    def __init__(self, invoker: Invoker) -> None:
        self._invoker = invoker

    def handle(self, call: IntegrationRequest) -> ApiResponse:
        uri = str(call.integration.get("uri", ""))
        try:
            function_name = function_name_from_uri(uri)
        except ValueError:
            LOGGER.error("%s: unsupported aws_proxy uri %r", call.route.key, uri)
            raise internal_error(500) from None
        event = build_proxy_event(
            call.request,
            resource_path=call.route.resource_path,
            path=call.path,
            path_parameters=call.path_parameters,
            request_context=call.context,
            binary_media_types=list(
                call.definition.get("x-amazon-apigateway-binary-media-types") or []
            ),
            extra_headers=call.added_headers,
        )
        try:
            result = self._invoker.invoke(function_name, event)
        except RequestTooLarge as too_large:
            # A proxy event over Lambda's 6 MB request limit (a body API Gateway's own 10 MB
            # quota lets through): the caller's fault, so a 4xx, and the function never ran.
            LOGGER.warning("%s: %s", call.route.key, too_large)
            raise GatewayError(
                "REQUEST_TOO_LARGE", "Request Entity Too Large", "RequestEntityTooLargeException"
            ) from None
        except Exception:  # the invoker itself broke: still the client's 502, never a hang
            LOGGER.exception("%s: invoking %s failed", call.route.key, function_name)
            raise internal_error(502) from None
        if not result.ok:
            LOGGER.warning(
                "%s: %s returned %s: %s",
                call.route.key,
                function_name,
                result.function_error,
                result.payload,
            )
            raise internal_error(502)
        try:
            return proxy_response(result.payload)
        except MalformedProxyResponse as error:
            LOGGER.warning(
                "%s: malformed Lambda proxy response from %s: %s",
                call.route.key,
                function_name,
                error,
            )
            raise internal_error(502) from None
