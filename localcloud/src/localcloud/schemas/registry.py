"""Registries, their schemas and each schema's versions, with the Schemas API's rules.

A schema's content is a JSON document of its type (``OpenApi3``: an object with ``openapi`` 3.x;
``JSONSchemaDraft4``: an object), at most 100,000 characters as the API's model says. Versions
are numbered from 1 and never reused; an update that changes nothing is 409 ``Conflict`` ("No
change since the previous version", which SAM CLI treats as nothing to do). The latest version
cannot be deleted on its own here (``DeleteSchema`` removes a schema): SAM CLI only ever deletes
the oldest, and what AWS does with the latest is not documented.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

SCHEMA_TYPES = ("OpenApi3", "JSONSchemaDraft4")
MAX_CONTENT_CHARS = 100_000


ERROR_STATUS = {"BadRequestException": 400, "NotFoundException": 404, "ConflictException": 409}


class SchemasError(Exception):
    """An error the API answers: ``kind`` is its exception name, ``status`` its HTTP status."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = ERROR_STATUS[kind]


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class SchemaVersion:
    number: int
    content: str
    type: str
    created: datetime = field(default_factory=_now)


@dataclass
class Schema:
    name: str
    arn: str
    description: str | None
    tags: dict[str, str]
    versions: list[SchemaVersion]  # oldest first, never empty
    last_modified: datetime = field(default_factory=_now)
    last_number: int = 1

    @property
    def latest(self) -> SchemaVersion:
        return self.versions[-1]

    def version(self, number: str | None) -> SchemaVersion:
        if number is None:
            return self.latest
        for version in self.versions:
            if str(version.number) == number:
                return version
        raise SchemasError("NotFoundException", f"Schema version {number} of {self.name} not found")


@dataclass
class Registry:
    name: str
    arn: str
    description: str | None
    tags: dict[str, str]
    schemas: dict[str, Schema] = field(default_factory=dict)

    def schema(self, name: str) -> Schema:
        try:
            return self.schemas[name]
        except KeyError:
            raise SchemasError(
                "NotFoundException", f"Schema {name} does not exist in registry {self.name}."
            ) from None


def checked_content(content: Any, schema_type: Any) -> tuple[str, str]:
    """(content, type) when the content is a document of that type; BadRequestException else."""
    if schema_type not in SCHEMA_TYPES:
        raise SchemasError("BadRequestException", f"Type must be one of {', '.join(SCHEMA_TYPES)}")
    if not isinstance(content, str) or not content:
        raise SchemasError("BadRequestException", "Content is required")
    if len(content) > MAX_CONTENT_CHARS:
        raise SchemasError(
            "BadRequestException",
            f"Content is {len(content)} characters; at most {MAX_CONTENT_CHARS} are allowed",
        )
    try:
        document = json.loads(content)
    except ValueError:
        raise SchemasError("BadRequestException", "Content is not valid JSON") from None
    if not isinstance(document, dict):
        raise SchemasError("BadRequestException", "Content must be a JSON object")
    if schema_type == "OpenApi3" and not str(document.get("openapi", "")).startswith("3."):
        raise SchemasError("BadRequestException", 'an OpenApi3 schema needs "openapi": "3.x"')
    return content, schema_type


class SchemaRegistries:
    """The registries of one account in one region."""

    def __init__(self, account_id: str, region: str) -> None:
        self.account_id = account_id
        self.region = region
        self.registries: dict[str, Registry] = {}

    def _arn(self, resource: str) -> str:
        return f"arn:aws:schemas:{self.region}:{self.account_id}:{resource}"

    # -- registries

    def create_registry(self, name: str, description: str | None, tags: dict[str, str]) -> Registry:
        if name in self.registries:
            raise SchemasError("ConflictException", f"Registry {name} already exists.")
        registry = Registry(name, self._arn(f"registry/{name}"), description, dict(tags))
        self.registries[name] = registry
        return registry

    def registry(self, name: str) -> Registry:
        try:
            return self.registries[name]
        except KeyError:
            raise SchemasError("NotFoundException", f"Registry {name} does not exist.") from None

    def delete_registry(self, name: str) -> None:
        self.registry(name)
        del self.registries[name]

    def list_registries(self, prefix: str | None) -> list[Registry]:
        return [r for n, r in sorted(self.registries.items()) if n.startswith(prefix or "")]

    # -- schemas

    def create_schema(
        self,
        registry_name: str,
        name: str,
        request: dict[str, Any],
    ) -> Schema:
        registry = self.registry(registry_name)
        if name in registry.schemas:
            raise SchemasError(
                "ConflictException", f"Schema {name} already exists in registry {registry_name}."
            )
        content, schema_type = checked_content(request.get("Content"), request.get("Type"))
        schema = Schema(
            name=name,
            arn=self._arn(f"schema/{registry_name}/{name}"),
            description=request.get("Description"),
            tags=dict(request.get("tags") or {}),
            versions=[SchemaVersion(1, content, schema_type)],
        )
        registry.schemas[name] = schema
        return schema

    def update_schema(self, registry_name: str, name: str, request: dict[str, Any]) -> Schema:
        schema = self.registry(registry_name).schema(name)
        if "Description" in request:
            schema.description = request["Description"]
        if request.get("Content") is None:
            schema.last_modified = _now()
            return schema
        content, schema_type = checked_content(
            request["Content"], request.get("Type", schema.latest.type)
        )
        if (content, schema_type) == (schema.latest.content, schema.latest.type):
            raise SchemasError("ConflictException", "No change since the previous version.")
        schema.last_number += 1
        schema.versions.append(SchemaVersion(schema.last_number, content, schema_type))
        schema.last_modified = schema.latest.created
        return schema

    def delete_schema(self, registry_name: str, name: str) -> None:
        registry = self.registry(registry_name)
        registry.schema(name)
        del registry.schemas[name]

    def delete_schema_version(self, registry_name: str, name: str, number: str) -> None:
        schema = self.registry(registry_name).schema(name)
        version = schema.version(number)
        if version is schema.latest:
            raise SchemasError(
                "BadRequestException",
                f"version {number} is the latest of {name}: delete the schema instead",
            )
        schema.versions.remove(version)

    def list_schemas(self, registry_name: str, prefix: str | None) -> list[Schema]:
        schemas = self.registry(registry_name).schemas
        return [s for n, s in sorted(schemas.items()) if n.startswith(prefix or "")]
