"""Route matching (API Gateway's precedence) and what the route table reads from a definition."""

from __future__ import annotations

from typing import Any

import pytest
from tests.apigw.apigw_support import inbox_outbox_definition

from localcloud.apigw.routes import build_route_table

_OPEN = {"x-amazon-apigateway-integration": {"type": "mock"}}


def _definition(**paths: Any) -> dict[str, Any]:
    return {"openapi": "3.0.1", "paths": paths}


TABLE = build_route_table(
    _definition(
        **{
            "/items": {"get": _OPEN, "parameters": [], "summary": "not a method"},
            "/items/{id}": {"get": _OPEN, "x-amazon-apigateway-any-method": _OPEN},
            "/items/special": {"get": _OPEN},
            "/files/{proxy+}": {"get": _OPEN},
            "/": {"get": _OPEN},
        }
    )
)


@pytest.mark.parametrize(
    ("method", "path", "resource", "params"),
    [
        ("GET", "/items", "/items", {}),
        ("GET", "/items/", "/items", {}),
        ("GET", "/items/special", "/items/special", {}),
        ("GET", "/items/42", "/items/{id}", {"id": "42"}),
        ("GET", "/items/a%2Fb", "/items/{id}", {"id": "a/b"}),
        ("DELETE", "/items/42", "/items/{id}", {"id": "42"}),
        ("GET", "/files/a/b/c.txt", "/files/{proxy+}", {"proxy": "a/b/c.txt"}),
        ("GET", "", "/", {}),
        ("GET", "/", "/", {}),
    ],
)
def test_the_most_specific_route_wins(
    method: str, path: str, resource: str, params: dict[str, str]
) -> None:
    match = TABLE.match(method, path)

    assert match is not None
    assert match.route.resource_path == resource
    assert match.path_parameters == params


def test_a_method_beats_any_on_the_same_resource() -> None:
    match = TABLE.match("GET", "/items/1")

    assert match is not None
    assert match.route.method == "GET"


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/items"), ("GET", "/files"), ("GET", "/items/1/2"), ("GET", "/nope")],
)
def test_no_route(method: str, path: str) -> None:
    assert TABLE.match(method, path) is None


def test_the_template_definition_gives_iam_routes() -> None:
    table = build_route_table(inbox_outbox_definition())

    kinds = {route.key: route.authorization_type for route in table.routes}

    assert kinds == {
        "POST /inbox": "AWS_IAM",
        "GET /outbox": "AWS_IAM",
        "POST /outbox/acks": "AWS_IAM",
        "POST /outbox/releases": "AWS_IAM",
        "ANY /echo/{id}": "NONE",
    }


def test_api_level_security_applies_unless_the_operation_overrides_it() -> None:
    definition = _definition(**{"/a": {"get": _OPEN}, "/b": {"get": {**_OPEN, "security": []}}})
    definition["security"] = [{"sigv4": []}]
    definition["components"] = {
        "securitySchemes": {"sigv4": {"x-amazon-apigateway-authtype": "awsSigv4"}}
    }

    kinds = {route.key: route.authorization_type for route in build_route_table(definition).routes}

    assert kinds == {"GET /a": "AWS_IAM", "GET /b": "NONE"}
