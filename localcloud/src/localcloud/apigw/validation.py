"""Request validators: required parameters and JSON-schema models, from the definition.

A method's validator is ``x-amazon-apigateway-request-validator`` (or the API-level default) naming
an entry of ``x-amazon-apigateway-request-validators``. Body models come from the operation's
``requestBody.content[<media type>].schema`` (OpenAPI 3) or its ``in: body`` parameter (Swagger 2)
and are JSON Schema draft 4, as in API Gateway; ``$ref``s resolve inside the definition
(``#/components/schemas/...``). Validation is by the request's media type (``application/json``
when there is no Content-Type); a media type without a model is not validated, and an empty
body is validated as ``{}``. A body that is not JSON (or not UTF-8) fails validation too.

API Gateway's validator is Java, and so are its semantics here: ``pattern`` is a
java.util.regex ``find()`` (``localcloud.apigw.java_regex``: ``$`` also matches before a final
line terminator), and the JSON parser, like Jackson's, keeps escaped lone surrogates as they are
and lets the last of duplicate names win.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import jsonschema  # type: ignore[import-untyped]
from referencing import Registry
from referencing.jsonschema import DRAFT4

from localcloud.apigw.gateway_responses import GatewayError
from localcloud.apigw.http_types import IncomingRequest, media_type
from localcloud.apigw.java_regex import java_find

_DOCUMENT_URI = "urn:localcloud:apigw:definition"
_MAX_ERROR_CHARS = 300
DEFAULT_MEDIA_TYPE = "application/json"


def _pointer(*segments: str) -> str:
    escaped = (segment.replace("~", "~0").replace("/", "~1") for segment in segments)
    return "#/" + "/".join(quote(segment, safe="") for segment in escaped)


def _reject_constant(name: str) -> Any:
    # JSON has no NaN/Infinity; API Gateway's parser rejects them, Python's would not.
    raise ValueError(f"'{name}' is not valid JSON")


def _java_pattern(
    validator: Any, pattern: str, instance: Any, schema: Mapping[str, Any]
) -> Iterator[jsonschema.ValidationError]:
    if validator.is_type(instance, "string") and not java_find(pattern, instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


ApiGatewayValidator: Any = jsonschema.validators.extend(
    jsonschema.Draft4Validator, {"pattern": _java_pattern}
)
"""Draft 4 as API Gateway's validator applies it (Java regex semantics for ``pattern``)."""


@dataclass(frozen=True)
class RequestChecks:
    """What API Gateway checks before the integration, for one method."""

    body_validators: dict[str, Any] = field(default_factory=dict)  # media type -> validator
    required_parameters: tuple[tuple[str, str], ...] = ()  # (location, name)

    def check(self, request: IncomingRequest) -> None:
        """Raises the gateway's 400 when a required parameter is missing or the body is invalid."""
        self._check_parameters(request)
        self._check_body(request)

    def _check_parameters(self, request: IncomingRequest) -> None:
        query = {key for key, _ in request.query_pairs()}
        missing = [
            name
            for location, name in self.required_parameters
            if (location == "query" and name not in query)
            or (location == "header" and request.header(name) is None)
        ]
        if missing:
            raise GatewayError(
                "BAD_REQUEST_PARAMETERS",
                f"Missing required request parameters: [{', '.join(missing)}]",
                "BadRequestException",
            )

    def _check_body(self, request: IncomingRequest) -> None:
        kind = media_type(request.header("Content-Type")) or DEFAULT_MEDIA_TYPE
        validator = self.body_validators.get(kind)
        if validator is None:
            return
        errors = body_errors(validator, request.body)
        if errors:
            raise GatewayError(
                "BAD_REQUEST_BODY",
                "Invalid request body",
                "BadRequestException",
                validation_error=f"[{', '.join(errors)}]",
            )


def body_errors(validator: Any, body: bytes) -> list[str]:
    """The validation errors of a body against a compiled model ([] when valid)."""
    try:
        text = body.decode("utf-8")
        document = json.loads(text, parse_constant=_reject_constant) if text.strip() else {}
    except UnicodeDecodeError:
        return ["Invalid request body: not UTF-8"]
    except (ValueError, RecursionError) as bad_json:
        return [f"Invalid JSON: {bad_json}"[:_MAX_ERROR_CHARS]]
    try:
        found = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    except RecursionError:
        return ["Invalid request body: nested too deeply"]
    messages = []
    for error in found:
        where = "/".join(str(part) for part in error.absolute_path)
        message = f"{error.message} (at /{where})" if where else error.message
        messages.append(message[:_MAX_ERROR_CHARS])
    return messages


def _validator_settings(
    definition: Mapping[str, Any], operation: Mapping[str, Any]
) -> Mapping[str, Any]:
    name = operation.get(
        "x-amazon-apigateway-request-validator",
        definition.get("x-amazon-apigateway-request-validator"),
    )
    validators = definition.get("x-amazon-apigateway-request-validators") or {}
    settings = validators.get(name) if name else None
    return settings if isinstance(settings, Mapping) else {}


def _body_schema_pointers(
    resource_path: str, method_key: str, operation: Mapping[str, Any]
) -> dict[str, str]:
    """Media type -> JSON pointer (inside the definition) of that media type's body schema."""
    base = ("paths", resource_path, method_key)
    pointers: dict[str, str] = {}
    content = (operation.get("requestBody") or {}).get("content") or {}
    for kind, entry in content.items():
        if isinstance(entry, Mapping) and "schema" in entry:
            pointers[kind.lower()] = _pointer(*base, "requestBody", "content", kind, "schema")
    for index, parameter in enumerate(operation.get("parameters") or []):
        if isinstance(parameter, Mapping) and parameter.get("in") == "body":
            for kind in operation.get("consumes") or [DEFAULT_MEDIA_TYPE]:
                pointers.setdefault(
                    kind.lower(), _pointer(*base, "parameters", str(index), "schema")
                )
    return pointers


def build_request_checks(
    definition: Mapping[str, Any], resource_path: str, method_key: str
) -> RequestChecks:
    """The checks of ``definition.paths[resource_path][method_key]`` (keys as in the definition)."""
    operation = definition["paths"][resource_path][method_key]
    settings = _validator_settings(definition, operation)
    validators: dict[str, Any] = {}
    if settings.get("validateRequestBody"):
        registry: Registry[Any] = Registry().with_resource(
            _DOCUMENT_URI, DRAFT4.create_resource(definition)
        )
        for kind, pointer in _body_schema_pointers(resource_path, method_key, operation).items():
            schema = {"$ref": f"{_DOCUMENT_URI}{pointer}"}
            validators[kind] = ApiGatewayValidator(schema, registry=registry)
    required: list[tuple[str, str]] = []
    if settings.get("validateRequestParameters"):
        for parameter in operation.get("parameters") or []:
            if isinstance(parameter, Mapping) and parameter.get("required"):
                location = str(parameter.get("in"))
                if location in ("query", "header"):
                    required.append((location, str(parameter.get("name"))))
    return RequestChecks(validators, tuple(required))
