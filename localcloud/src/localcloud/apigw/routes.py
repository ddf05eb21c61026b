"""The route table of one REST API, built from its resolved OpenAPI definition.

Why the definition and not moto's resources: after ``put_rest_api(mode="overwrite")`` moto keeps
resources, methods, integrations (type, uri, request templates, passthrough behaviour, request
parameters, responses) but drops what the front must enforce: ``security`` (authorization type),
request validators, models and gateway responses. The definition holds all of it, so routes come
from there; moto is only asked for resource ids (``requestContext.resourceId``).

Matching follows API Gateway: a literal segment beats ``{param}``, which beats ``{proxy+}``
(greedy, one or more segments, last only); a method beats ``x-amazon-apigateway-any-method``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

ANY_METHOD = "x-amazon-apigateway-any-method"
_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch"})
_IAM_AUTH_TYPE = "awsSigv4"

# Segment kinds, in matching precedence (lower wins).
_LITERAL, _PARAM, _GREEDY = 0, 1, 2


@dataclass(frozen=True)
class _Segment:
    kind: int
    text: str  # the literal, or the parameter name


@dataclass(frozen=True)
class Route:
    resource_path: str  # the template, e.g. "/items/{id}"
    method: str  # "GET", ... or "ANY"
    operation: Mapping[str, Any]
    authorization_type: str  # "NONE", "AWS_IAM" or the scheme's auth type (unsupported here)
    path_key: str  # the keys in definition["paths"], to point into the definition
    method_key: str

    @property
    def integration(self) -> Mapping[str, Any]:
        found = self.operation.get("x-amazon-apigateway-integration")
        return found if isinstance(found, Mapping) else {}

    @property
    def key(self) -> str:
        return f"{self.method} {self.resource_path}"


@dataclass(frozen=True)
class RouteMatch:
    route: Route
    path_parameters: dict[str, str]


def _parse_template(resource_path: str) -> tuple[_Segment, ...]:
    segments: list[_Segment] = []
    for part in resource_path.strip("/").split("/"):
        if not part:
            continue
        if part.startswith("{") and part.endswith("+}"):
            segments.append(_Segment(_GREEDY, part[1:-2]))
        elif part.startswith("{") and part.endswith("}"):
            segments.append(_Segment(_PARAM, part[1:-1]))
        else:
            segments.append(_Segment(_LITERAL, part))
    return tuple(segments)


def _match_segments(
    template: tuple[_Segment, ...], raw_parts: list[str]
) -> tuple[tuple[int, ...], dict[str, str]] | None:
    """(precedence key, path parameters) when the template matches the path, else None."""
    params: dict[str, str] = {}
    rank: list[int] = []
    for index, segment in enumerate(template):
        if segment.kind == _GREEDY:
            rest = raw_parts[index:]
            if not rest or index != len(template) - 1:
                return None
            params[segment.text] = "/".join(unquote(part) for part in rest)
            return (*rank, _GREEDY), params
        value = unquote(raw_parts[index]) if index < len(raw_parts) else ""
        if not value or (segment.kind == _LITERAL and value != segment.text):
            return None
        if segment.kind == _PARAM:
            params[segment.text] = value
        rank.append(segment.kind)
    return (tuple(rank), params) if len(raw_parts) == len(template) else None


class RouteTable:
    def __init__(self, routes: list[Route]) -> None:
        self.routes = routes
        self._templates = {
            route.resource_path: _parse_template(route.resource_path) for route in routes
        }

    def match(self, method: str, raw_path: str) -> RouteMatch | None:
        """The route API Gateway would pick for METHOD and the raw (percent-encoded) user path."""
        trimmed = raw_path.strip("/")
        parts = trimmed.split("/") if trimmed else []
        best: tuple[tuple[int, ...], int, RouteMatch] | None = None
        for route in self.routes:
            if route.method not in (method.upper(), "ANY"):
                continue
            found = _match_segments(self._templates[route.resource_path], parts)
            if found is None:
                continue
            rank, params = found
            candidate = (rank, 1 if route.method == "ANY" else 0, RouteMatch(route, params))
            if best is None or candidate[:2] < best[:2]:
                best = candidate
        return best[2] if best else None


def _iam_schemes(definition: Mapping[str, Any]) -> dict[str, str]:
    """Security scheme name -> authorization type, from OpenAPI 3 or Swagger 2 definitions."""
    schemes: Mapping[str, Any] = (
        definition.get("components", {}).get("securitySchemes")
        or definition.get("securityDefinitions")
        or {}
    )
    types: dict[str, str] = {}
    for name, scheme in schemes.items():
        auth_type = (
            scheme.get("x-amazon-apigateway-authtype") if isinstance(scheme, Mapping) else None
        )
        types[name] = "AWS_IAM" if auth_type == _IAM_AUTH_TYPE else str(auth_type or "CUSTOM")
    return types


def _authorization_type(
    operation: Mapping[str, Any], definition: Mapping[str, Any], schemes: dict[str, str]
) -> str:
    # Operation-level security replaces the API-level default, as in OpenAPI.
    security = operation.get("security", definition.get("security")) or []
    for requirement in security:
        for name in requirement:
            return schemes.get(name, "CUSTOM")
    return "NONE"


def build_route_table(definition: Mapping[str, Any]) -> RouteTable:
    schemes = _iam_schemes(definition)
    routes: list[Route] = []
    for resource_path, path_item in (definition.get("paths") or {}).items():
        if not isinstance(path_item, Mapping):
            continue
        for key, operation in path_item.items():
            lowered = key.lower()
            if lowered not in _HTTP_METHODS and lowered != ANY_METHOD:
                continue  # "parameters", "summary", ... are not methods
            routes.append(
                Route(
                    resource_path="/" + resource_path.strip("/"),
                    method="ANY" if lowered == ANY_METHOD else lowered.upper(),
                    operation=operation,
                    authorization_type=_authorization_type(operation, definition, schemes),
                    path_key=resource_path,
                    method_key=key,
                )
            )
    return RouteTable(routes)
