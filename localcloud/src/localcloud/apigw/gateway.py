"""One request through the local API Gateway: stage -> route -> IAM auth -> validation ->
integration, with API Gateway's own error responses at each step.

Which API and stage: ``localcloud.apigw.targets`` (the host form ``{api}.execute-api.localhost``
or ``...amazonaws.com``, LocalStack's ``/restapis/{api}/{stage}/_user_request_/{path}``, and
``/{stage}/{path}`` when one API is deployed).
- Unknown API id: 404 ``{"message": "The API id '...' does not correspond to a deployed API
  Gateway API"}`` (on AWS the host name would not resolve; there is no AWS answer to copy).
- Known API, unknown stage: 403 ``{"message": "Forbidden"}``, as AWS answers an undeployed stage,
  and so is a known API's root outside every stage.
- Unknown path or method: 403 ``{"message": "Missing Authentication Token"}``, as AWS does
  (signed or not), through the definition's ``MISSING_AUTHENTICATION_TOKEN`` override if any.
Every response carries ``x-amzn-RequestId``; no exception escapes (the reason goes to the log).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import unquote

from localcloud.apigw.gateway_responses import GatewayError, internal_error, render_gateway_response
from localcloud.apigw.http_types import ApiResponse, IncomingRequest
from localcloud.apigw.integrations.aws_service import AwsServiceIntegration, Service
from localcloud.apigw.integrations.base import IntegrationRequest
from localcloud.apigw.integrations.lambda_proxy import LambdaProxyIntegration
from localcloud.apigw.request_context import RequestIds, build_request_context
from localcloud.apigw.routes import RouteMatch, RouteTable, build_route_table
from localcloud.apigw.sigv4 import CallerIdentity, LocalPrincipal, SignatureRejected, verify_request
from localcloud.apigw.targets import NoTarget, resolve_target
from localcloud.apigw.validation import RequestChecks, build_request_checks
from localcloud.specs import Invoker, RestApiSpec

LOGGER = logging.getLogger(__name__)


class Integration(Protocol):
    def handle(self, call: IntegrationRequest) -> ApiResponse: ...


@dataclass(frozen=True)
class DeployedApi:
    spec: RestApiSpec
    routes: RouteTable
    checks: dict[str, RequestChecks]  # by route key
    resource_ids: Mapping[str, str]  # resource path -> id (moto's when known)

    @classmethod
    def build(cls, spec: RestApiSpec, resource_ids: Mapping[str, str]) -> DeployedApi:
        routes = build_route_table(spec.definition)
        checks = {
            route.key: build_request_checks(spec.definition, route.path_key, route.method_key)
            for route in routes.routes
        }
        return cls(spec, routes, checks, resource_ids)

    def resource_id(self, resource_path: str) -> str:
        known = self.resource_ids.get(resource_path)
        if known:
            return known
        # A stable stand-in shaped like API Gateway's ids (10 lower-case alphanumerics).
        return hashlib.sha256(f"{self.spec.rest_api_id}{resource_path}".encode()).hexdigest()[:10]


def _plain_error(status: int, message: str, error_type: str) -> ApiResponse:
    return ApiResponse.json(status, {"message": message}, [("x-amzn-ErrorType", error_type)])


class Gateway:
    def __init__(
        self,
        apis: list[RestApiSpec],
        principal: LocalPrincipal,
        region: str,
        integrations: Mapping[str, Integration],
        resource_ids: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self._principal = principal
        self._region = region
        self._integrations = integrations
        self._apis: dict[tuple[str, str], DeployedApi] = {}
        self._api_ids: set[str] = set()
        self.serve(apis, resource_ids)

    def serve(
        self, apis: list[RestApiSpec], resource_ids: Mapping[str, Mapping[str, str]] | None = None
    ) -> None:
        """Serve exactly ``apis`` from now on (a stack deployed, updated or deleted); a request
        in flight finishes with the APIs it started with."""
        served = {
            (spec.rest_api_id, spec.stage_name): DeployedApi.build(
                spec, (resource_ids or {}).get(spec.rest_api_id, {})
            )
            for spec in apis
        }
        self._apis, self._api_ids = served, {spec.rest_api_id for spec in apis}

    @classmethod
    def with_local_integrations(
        cls,
        apis: list[RestApiSpec],
        *,
        principal: LocalPrincipal,
        region: str,
        invoker: Invoker,
        services: Mapping[str, Service],
        resource_ids: Mapping[str, Mapping[str, str]] | None = None,
    ) -> Gateway:
        return cls(
            apis,
            principal,
            region,
            {
                "aws_proxy": LambdaProxyIntegration(invoker),
                "aws": AwsServiceIntegration(services),
            },
            resource_ids,
        )

    @property
    def deployed(self) -> list[tuple[str, str]]:
        return sorted(self._apis)

    def handle(self, request: IncomingRequest) -> ApiResponse:
        ids = RequestIds.new()
        try:
            response = self._handle(request, ids)
        except Exception:  # a bug here must still answer, and never as a client error
            LOGGER.exception("unexpected error handling %s %s", request.method, request.raw_path)
            response = ApiResponse.json(500, {"message": "Internal server error"})
        response.headers.append(("x-amzn-RequestId", ids.request_id))
        response.headers.append(("x-amz-apigw-id", ids.extended_request_id))
        return response

    def _handle(self, request: IncomingRequest, ids: RequestIds) -> ApiResponse:
        apis, api_ids = self._apis, self._api_ids
        target = resolve_target(request.raw_path, request.header("Host"), api_ids)
        if isinstance(target, NoTarget):
            return _plain_error(target.status, target.message, target.error_type)
        api = apis.get((target.api_id, target.stage))
        if api is None:
            if target.api_id in api_ids:
                return _plain_error(403, "Forbidden", "ForbiddenException")
            return _plain_error(
                404,
                f"The API id '{target.api_id}' does not correspond to a deployed API Gateway API",
                "NotFoundException",
            )
        match = api.routes.match(request.method, target.raw_user_path)
        path = unquote(target.raw_user_path)
        context = self._context(request, ids, api=api, match=match, path=path, caller=None)
        try:
            if match is None:
                raise GatewayError(
                    "MISSING_AUTHENTICATION_TOKEN",
                    "Missing Authentication Token",
                    "MissingAuthenticationTokenException",
                )
            caller = self._authorize(request, match)
            if caller is not None:
                context = self._context(
                    request, ids, api=api, match=match, path=path, caller=caller
                )
            api.checks[match.route.key].check(request)
            return self._integrate(request, api, match=match, path=path, context=context, ids=ids)
        except GatewayError as error:
            return render_gateway_response(error, api.spec.definition, context, request)

    def _context(
        self,
        request: IncomingRequest,
        ids: RequestIds,
        *,
        api: DeployedApi,
        match: RouteMatch | None,
        path: str,
        caller: CallerIdentity | None,
    ) -> dict[str, Any]:
        resource_path = match.route.resource_path if match else None
        return build_request_context(
            request,
            ids,
            account_id=self._principal.account_id,
            api_id=api.spec.rest_api_id,
            stage=api.spec.stage_name,
            resource_path=resource_path,
            resource_id=api.resource_id(resource_path) if resource_path else None,
            path=path,
            caller=caller,
        )

    def _authorize(self, request: IncomingRequest, match: RouteMatch) -> CallerIdentity | None:
        auth_type = match.route.authorization_type
        if auth_type == "NONE":
            return None
        if auth_type != "AWS_IAM":
            LOGGER.error(
                "%s: authorizer type %s is not supported locally", match.route.key, auth_type
            )
            raise internal_error(500)
        try:
            return verify_request(request, self._principal, self._region)
        except SignatureRejected as rejected:
            raise GatewayError(
                rejected.response_type, rejected.message, rejected.error_type
            ) from None

    def _integrate(
        self,
        request: IncomingRequest,
        api: DeployedApi,
        *,
        match: RouteMatch,
        path: str,
        context: dict[str, Any],
        ids: RequestIds,
    ) -> ApiResponse:
        kind = str(match.route.integration.get("type", "")).lower()
        integration = self._integrations.get(kind)
        if integration is None:
            LOGGER.error("%s: integration type %r is not supported locally", match.route.key, kind)
            raise internal_error(500)
        host = request.header("Host") or ""
        call = IntegrationRequest(
            request=request,
            route=match.route,
            path=path,
            path_parameters=match.path_parameters,
            context=context,
            definition=api.spec.definition,
            added_headers=[
                ("X-Amzn-Trace-Id", ids.trace_id),
                ("X-Forwarded-For", request.source_ip),
                ("X-Forwarded-Port", host.rsplit(":", 1)[1] if ":" in host else "80"),
                ("X-Forwarded-Proto", "http"),
            ],
        )
        return integration.handle(call)
