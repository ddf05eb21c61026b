"""The Schemas API on the moto port: ``localcloud.schemas.registry`` in the service's REST-JSON
protocol (paths under ``/v1/``, JSON bodies, errors as ``x-amzn-ErrorType`` plus
``{"Code", "Message"}``).

Served: ``CreateRegistry``, ``DescribeRegistry``, ``DeleteRegistry``, ``ListRegistries``,
``CreateSchema``, ``DescribeSchema`` (latest or ``schemaVersion``), ``UpdateSchema``,
``DeleteSchema``, ``ListSchemas``, ``ListSchemaVersions``, ``DeleteSchemaVersion`` and
``GetDiscoveredSchema``. Any other Schemas operation (code bindings, discoverers, search, policies,
tags) passes on and is answered as not implemented. Only requests signed for ``schemas`` are
read: other services share moto's port and some of its paths' shapes.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, unquote

from localcloud.config import ACCOUNT_ID, DEFAULT_REGION
from localcloud.moto_internals.schemas_backend import registries_of
from localcloud.moto_internals.serial import signing_service
from localcloud.schemas.discovery import discovered_schema
from localcloud.schemas.registry import Registry, Schema, SchemaRegistries, SchemasError
from localcloud.wsgi import Environ, StartResponse, WsgiApp, read_body

Reply = tuple[int, dict[str, Any] | None]
Handler = Callable[[SchemaRegistries, dict[str, str], dict[str, Any], dict[str, str]], Reply]

_SCOPE_REGION = re.compile(r"Credential=[^/]+/\d{8}/(?P<region>[^/]+)/schemas/")
_NAME = r"(?P<{}>[^/]+)"
_REGISTRY = "/v1/registries/name/" + _NAME.format("registry")
_SCHEMA = _REGISTRY + "/schemas/name/" + _NAME.format("schema")
_REASONS = {200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 404: "Not Found"}
_REASONS |= {409: "Conflict"}
DEFAULT_PAGE = 100


def _time(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _registry(registry: Registry) -> dict[str, Any]:
    return {
        "RegistryArn": registry.arn,
        "RegistryName": registry.name,
        "Description": registry.description,
        "tags": registry.tags,
    }


def _schema(schema: Schema, number: str | None = None, *, content: bool = False) -> dict[str, Any]:
    version = schema.version(number)
    answer = {
        "SchemaArn": schema.arn,
        "SchemaName": schema.name,
        "SchemaVersion": str(version.number),
        "Type": version.type,
        "Description": schema.description,
        "LastModified": _time(schema.last_modified),
        "VersionCreatedDate": _time(version.created),
        "tags": schema.tags,
    }
    return answer | ({"Content": version.content} if content else {})


def _page(items: list[dict[str, Any]], key: str, query: dict[str, str]) -> dict[str, Any]:
    """One page of a list answer: ``limit`` items from the ``nextToken`` offset."""
    try:
        start = int(query.get("nextToken") or 0)
        limit = int(query.get("limit") or DEFAULT_PAGE)
    except ValueError:
        raise SchemasError("BadRequestException", "nextToken and limit are numbers") from None
    if limit < 1 or start < 0:
        raise SchemasError("BadRequestException", "limit is at least 1")
    answer: dict[str, Any] = {key: items[start : start + limit]}
    if start + limit < len(items):
        answer["NextToken"] = str(start + limit)
    return answer


# -- the operations: (registries, path names, request body, query) -> (status, answer)


def _list_registries(regs: SchemaRegistries, _: Any, __: Any, query: dict[str, str]) -> Reply:
    # Every registry here is the account's own (scope LOCAL); AWS's own ones are not modelled.
    found = (
        [] if query.get("scope") == "AWS" else regs.list_registries(query.get("registryNamePrefix"))
    )
    return 200, _page([_registry(r) for r in found], "Registries", query)


def _create_registry(regs: SchemaRegistries, names: dict[str, str], body: Any, _: Any) -> Reply:
    created = regs.create_registry(
        names["registry"], body.get("Description"), body.get("tags") or {}
    )
    return 201, _registry(created)


def _describe_registry(regs: SchemaRegistries, names: dict[str, str], _: Any, __: Any) -> Reply:
    return 200, _registry(regs.registry(names["registry"]))


def _delete_registry(regs: SchemaRegistries, names: dict[str, str], _: Any, __: Any) -> Reply:
    regs.delete_registry(names["registry"])
    return 204, None


def _list_schemas(
    regs: SchemaRegistries, names: dict[str, str], _: Any, query: dict[str, str]
) -> Reply:
    found = regs.list_schemas(names["registry"], query.get("schemaNamePrefix"))
    summaries = [
        {
            "SchemaArn": s.arn,
            "SchemaName": s.name,
            "LastModified": _time(s.last_modified),
            "VersionCount": len(s.versions),
            "tags": s.tags,
        }
        for s in found
    ]
    return 200, _page(summaries, "Schemas", query)


def _create_schema(regs: SchemaRegistries, names: dict[str, str], body: Any, _: Any) -> Reply:
    return 201, _schema(regs.create_schema(names["registry"], names["schema"], body))


def _describe_schema(
    regs: SchemaRegistries, names: dict[str, str], _: Any, query: dict[str, str]
) -> Reply:
    schema = regs.registry(names["registry"]).schema(names["schema"])
    return 200, _schema(schema, query.get("schemaVersion"), content=True)


def _update_schema(regs: SchemaRegistries, names: dict[str, str], body: Any, _: Any) -> Reply:
    return 200, _schema(regs.update_schema(names["registry"], names["schema"], body))


def _delete_schema(regs: SchemaRegistries, names: dict[str, str], _: Any, __: Any) -> Reply:
    regs.delete_schema(names["registry"], names["schema"])
    return 204, None


def _list_versions(
    regs: SchemaRegistries, names: dict[str, str], _: Any, query: dict[str, str]
) -> Reply:
    schema = regs.registry(names["registry"]).schema(names["schema"])
    versions = [
        {
            "SchemaArn": schema.arn,
            "SchemaName": schema.name,
            "SchemaVersion": str(v.number),
            "Type": v.type,
        }
        for v in schema.versions
    ]
    return 200, _page(versions, "SchemaVersions", query)


def _delete_version(regs: SchemaRegistries, names: dict[str, str], _: Any, __: Any) -> Reply:
    regs.delete_schema_version(names["registry"], names["schema"], names["version"])
    return 204, None


def _discover(_: SchemaRegistries, __: Any, body: Any, ___: Any) -> Reply:
    return 200, {"Content": discovered_schema(body.get("Events"), body.get("Type"))}


ROUTES: list[tuple[re.Pattern[str], dict[str, Handler]]] = [
    (re.compile(r"^/v1/registries/?$"), {"GET": _list_registries}),
    (
        re.compile(f"^{_REGISTRY}/?$"),
        {"POST": _create_registry, "GET": _describe_registry, "DELETE": _delete_registry},
    ),
    (re.compile(f"^{_REGISTRY}/schemas/?$"), {"GET": _list_schemas}),
    (
        re.compile(f"^{_SCHEMA}/?$"),
        {
            "POST": _create_schema,
            "GET": _describe_schema,
            "PUT": _update_schema,
            "DELETE": _delete_schema,
        },
    ),
    (re.compile(f"^{_SCHEMA}/versions/?$"), {"GET": _list_versions}),
    (
        re.compile(f"^{_SCHEMA}/version/" + _NAME.format("version") + "/?$"),
        {"DELETE": _delete_version},
    ),
    (re.compile(r"^/v1/discover/?$"), {"POST": _discover}),
]


def _route(method: str, path: str) -> tuple[Handler, dict[str, str]] | None:
    for pattern, handlers in ROUTES:
        match = pattern.match(path)
        if match and method in handlers:
            return handlers[method], {k: unquote(v) for k, v in match.groupdict().items()}
    return None


class SchemasApi:
    """Answers the Schemas operations above; passes everything else on."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        route = _route(environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", ""))
        if route is None or signing_service(environ) != "schemas":
            return self.app(environ, start_response)
        handler, names = route
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        try:
            body = json.loads(read_body(environ) or b"{}")
            if not isinstance(body, dict):
                raise SchemasError("BadRequestException", "the request body must be a JSON object")
            status, answer = handler(_registries(environ), names, body, query)
            headers: list[tuple[str, str]] = []
        except SchemasError as error:
            status = error.status
            answer = {"Code": error.kind.removesuffix("Exception"), "Message": str(error)}
            headers = [("x-amzn-ErrorType", error.kind)]
        except ValueError:
            status, answer = 400, {"Code": "BadRequest", "Message": "the request body is not JSON"}
            headers = [("x-amzn-ErrorType", "BadRequestException")]
        data = b"" if answer is None else json.dumps(_without_none(answer)).encode()
        headers += [("x-amzn-RequestId", str(uuid.uuid4())), ("Content-Length", str(len(data)))]
        if data:
            headers.append(("Content-Type", "application/json"))
        start_response(f"{status} {_REASONS[status]}", headers)
        return [data]


def _registries(environ: Environ) -> SchemaRegistries:
    scope = _SCOPE_REGION.search(environ.get("HTTP_AUTHORIZATION", ""))
    region = scope["region"] if scope else DEFAULT_REGION
    try:
        return registries_of(ACCOUNT_ID, region)
    except KeyError:
        raise SchemasError("BadRequestException", f"Schemas has no region {region}") from None


def _without_none(answer: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in answer.items() if value is not None}
