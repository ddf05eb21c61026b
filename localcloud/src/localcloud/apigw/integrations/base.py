"""What an integration receives for one request, and the ARN parsing they share."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from localcloud.apigw.http_types import IncomingRequest
from localcloud.apigw.routes import Route


@dataclass(frozen=True)
class IntegrationRequest:
    request: IncomingRequest
    route: Route
    path: str  # the decoded user path, e.g. "/items/42"
    path_parameters: dict[str, str]
    context: Mapping[str, Any]  # requestContext / $context
    definition: Mapping[str, Any]
    # Headers API Gateway adds on the way in (X-Forwarded-For, X-Amzn-Trace-Id, ...).
    added_headers: list[tuple[str, str]] = field(default_factory=list)

    @property
    def integration(self) -> Mapping[str, Any]:
        return self.route.integration

    def single_value_params(self) -> dict[str, dict[str, str]]:
        """``$input.params()``: path, querystring and header maps (last value wins)."""
        return {
            "path": dict(self.path_parameters),
            "querystring": dict(self.request.query_pairs()),
            "header": {name: value for name, value in self.request.headers},
        }


@dataclass(frozen=True)
class ServiceResponse:
    status: int
    headers: dict[str, str]
    body: str  # JSON text, as the real service answers API Gateway


class IntegrationUnavailable(Exception):
    """The service could not be reached (connection refused, reset, ...)."""


class IntegrationTimeout(Exception):
    """The service did not answer within the integration timeout."""


@dataclass(frozen=True)
class ServiceUri:
    """``arn:aws:apigateway:{region}:{service}:{path|action}/{rest}``."""

    region: str
    service: str
    kind: str  # "path" or "action"
    rest: str


def parse_service_uri(uri: str) -> ServiceUri:
    parts = uri.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "apigateway":
        raise ValueError(f"not an API Gateway integration URI: {uri!r}")
    kind, _, rest = parts[5].partition("/")
    return ServiceUri(region=parts[3], service=parts[4], kind=kind, rest=rest)
