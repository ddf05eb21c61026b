"""The EventBridge Schemas API on the moto port, through boto3 as SAM CLI calls it: registries,
schemas and their versions, the errors SAM CLI tells apart, and GetDiscoveredSchema."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from localcloud.server import LocalCloudServer

NO_RETRIES = Config(retries={"mode": "standard", "max_attempts": 1})


@pytest.fixture
def schemas(local_server: LocalCloudServer) -> Any:
    return boto3.client(
        "schemas", endpoint_url=local_server.url, region_name="us-east-1", config=NO_RETRIES
    )


@pytest.fixture
def registry(schemas: Any) -> str:
    name = f"registry-{uuid.uuid4().hex[:8]}"
    schemas.create_registry(RegistryName=name, Description="for a test")
    return name


def _openapi(title: str) -> str:
    return json.dumps({"openapi": "3.0.0", "info": {"title": title}, "components": {}})


def _error(call: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return dict(raised.value.response)


def test_a_registry_is_created_once_and_described(schemas: Any, registry: str) -> None:
    described = schemas.describe_registry(RegistryName=registry)
    assert described["RegistryArn"] == f"arn:aws:schemas:us-east-1:123456789012:registry/{registry}"
    assert described["Description"] == "for a test"
    assert registry in [r["RegistryName"] for r in schemas.list_registries()["Registries"]]

    again = _error(schemas.create_registry, RegistryName=registry)
    assert again["Error"]["Code"] == "ConflictException"
    assert again["ResponseMetadata"]["HTTPStatusCode"] == 409


def test_what_does_not_exist_is_not_found_at_once(schemas: Any, registry: str) -> None:
    # SAM CLI reads NotFoundException as "no saved events yet".
    for call, kwargs in [
        (schemas.describe_registry, {"RegistryName": f"{registry}-missing"}),
        (schemas.describe_schema, {"RegistryName": registry, "SchemaName": "missing"}),
        (schemas.update_schema, {"RegistryName": registry, "SchemaName": "missing"}),
        (schemas.list_schema_versions, {"RegistryName": registry, "SchemaName": "missing"}),
    ]:
        error = _error(call, **kwargs)
        assert error["Error"]["Code"] == "NotFoundException", call
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 404
        assert error["ResponseMetadata"]["RetryAttempts"] == 0


def test_each_update_is_a_new_version_and_old_ones_stay_readable(
    schemas: Any, registry: str
) -> None:
    names = {"RegistryName": registry, "SchemaName": "_fn-schema"}
    created = schemas.create_schema(**names, Type="OpenApi3", Content=_openapi("one"))
    assert created["SchemaVersion"] == "1"
    assert created["SchemaArn"].endswith(f":schema/{registry}/_fn-schema")
    updated = schemas.update_schema(**names, Type="OpenApi3", Content=_openapi("two"))
    assert updated["SchemaVersion"] == "2"

    assert json.loads(schemas.describe_schema(**names)["Content"])["info"]["title"] == "two"
    first = schemas.describe_schema(**names, SchemaVersion="1")
    assert json.loads(first["Content"])["info"]["title"] == "one"
    versions = schemas.list_schema_versions(**names)["SchemaVersions"]
    assert [v["SchemaVersion"] for v in versions] == ["1", "2"]
    listed = schemas.list_schemas(RegistryName=registry)["Schemas"]
    assert [(s["SchemaName"], s["VersionCount"]) for s in listed] == [("_fn-schema", 2)]

    schemas.delete_schema_version(**names, SchemaVersion="1")
    assert [
        v["SchemaVersion"] for v in schemas.list_schema_versions(**names)["SchemaVersions"]
    ] == ["2"]
    latest = _error(schemas.delete_schema_version, **names, SchemaVersion="2")
    assert latest["Error"]["Code"] == "BadRequestException"

    schemas.delete_schema(**names)
    assert _error(schemas.describe_schema, **names)["Error"]["Code"] == "NotFoundException"


def test_an_update_that_changes_nothing_is_the_conflict_sam_cli_ignores(
    schemas: Any, registry: str
) -> None:
    names = {"RegistryName": registry, "SchemaName": "unchanged"}
    schemas.create_schema(**names, Type="OpenApi3", Content=_openapi("same"))
    error = _error(schemas.update_schema, **names, Type="OpenApi3", Content=_openapi("same"))
    # What SAM CLI's update_schema reads to treat it as nothing to update.
    assert error["Error"]["Code"] == "ConflictException"
    assert error["Code"] == "Conflict"
    assert "No change since the previous" in error["Message"]
    assert len(schemas.list_schema_versions(**names)["SchemaVersions"]) == 1


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("not json", "not valid JSON"),
        (json.dumps({"components": {}}), '"openapi": "3.x"'),
        (json.dumps({"openapi": "3.0.0", "pad": "x" * 100_000}), "at most 100000"),
    ],
)
def test_content_that_is_not_an_openapi_3_document_is_refused(
    schemas: Any, registry: str, content: str, reason: str
) -> None:
    error = _error(
        schemas.create_schema, RegistryName=registry, SchemaName="bad", Type="OpenApi3",
        Content=content,
    )  # fmt: skip
    assert error["Error"]["Code"] == "BadRequestException"
    assert reason in error["Error"]["Message"]
    assert _error(schemas.describe_schema, RegistryName=registry, SchemaName="bad")


def test_a_discovered_schema_describes_every_sample(schemas: Any) -> None:
    events = [
        json.dumps({"id": "a", "count": 1, "items": [{"ok": True}], "note": None}),
        json.dumps({"id": "b", "count": 2.5, "items": []}),
    ]
    content = schemas.get_discovered_schema(Events=events, Type="OpenApi3")["Content"]
    document = json.loads(content)
    assert document["openapi"].startswith("3.")
    event = document["components"]["schemas"]["Event"]
    assert event["type"] == "object"
    assert event["required"] == ["count", "id", "items"]  # "note" is in one sample only
    assert event["properties"]["id"] == {"type": "string"}
    assert event["properties"]["count"] == {"type": "number"}
    assert event["properties"]["items"]["items"]["properties"]["ok"] == {"type": "boolean"}

    draft4 = json.loads(
        schemas.get_discovered_schema(Events=events[:1], Type="JSONSchemaDraft4")["Content"]
    )
    assert draft4["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert draft4["properties"]["count"] == {"type": "integer"}

    error = _error(schemas.get_discovered_schema, Events=["{not json"], Type="OpenApi3")
    assert error["Error"]["Code"] == "BadRequestException"


def test_other_schemas_operations_say_they_are_not_implemented(schemas: Any) -> None:
    error = _error(schemas.list_discoverers)
    assert error["Error"]["Code"] == "UnknownOperationException"
    assert error["Error"]["Message"] == "localcloud does not implement schemas.ListDiscoverers"
