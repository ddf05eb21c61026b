"""``GetDiscoveredSchema``: a schema inferred from sample events, as ``sam remote test-event
put`` asks for one before it saves a function's first event.

Each event is a JSON document; the schema describes them all: an object's properties are the
union of the samples' (required: those every sample has), a list's items the merge of its
elements, integers and other numbers are numbers, and a value whose samples disagree on the type
otherwise (or are null) gets no type. Named ``Event``, in an
OpenAPI 3 document (``components.schemas.Event``, where SAM CLI adds its ``examples``) or as a
JSON Schema draft 4. (EventBridge also names nested objects as schemas of their own and reads an
EventBridge envelope as ``AWSEvent``; the structure here is the same, inlined.)
"""

from __future__ import annotations

import json
from typing import Any

from localcloud.schemas.registry import SCHEMA_TYPES, SchemasError

ROOT_NAME = "Event"


# JSON's scalar types by Python's (bool before int: True is an int too).
_SCALARS = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"))


def _type_of(value: Any) -> dict[str, Any]:
    for python_type, json_type in _SCALARS:
        if isinstance(value, python_type):
            return {"type": json_type}
    if isinstance(value, list):
        # An empty list says nothing of its items: "items" is left out until a sample has some.
        items: dict[str, Any] | None = None
        for element in value:
            items = _type_of(element) if items is None else _merged(items, _type_of(element))
        return {"type": "array"} | ({"items": items} if items is not None else {})
    if isinstance(value, dict):
        return {
            "type": "object",
            "required": sorted(value),
            "properties": {key: _type_of(item) for key, item in sorted(value.items())},
        }
    return {}  # null: any type


def _merged(one: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    if {one.get("type"), other.get("type")} == {"integer", "number"}:
        return {"type": "number"}
    if one.get("type") != other.get("type") or "type" not in one:
        return {}
    if one["type"] == "array":
        if "items" in one and "items" in other:
            return {"type": "array", "items": _merged(one["items"], other["items"])}
        return one if "items" in one else other
    if one["type"] != "object":
        return one
    properties = dict(one["properties"])
    for key, value in other["properties"].items():
        properties[key] = _merged(properties[key], value) if key in properties else value
    return {
        "type": "object",
        "required": sorted(set(one["required"]) & set(other["required"])),
        "properties": dict(sorted(properties.items())),
    }


def _with_items(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with ``items`` on every array (any type where no sample had an element)."""
    if schema.get("type") == "array":
        return {"type": "array", "items": _with_items(schema.get("items", {}))}
    if schema.get("type") == "object":
        properties = {key: _with_items(value) for key, value in schema["properties"].items()}
        return schema | {"properties": properties}
    return schema


def discovered_schema(events: Any, schema_type: Any) -> str:
    """The schema's content (a JSON document) for ``events``, each a JSON text."""
    if schema_type not in SCHEMA_TYPES:
        raise SchemasError("BadRequestException", f"Type must be one of {', '.join(SCHEMA_TYPES)}")
    if not isinstance(events, list) or not events or not all(isinstance(e, str) for e in events):
        raise SchemasError("BadRequestException", "Events must be a non-empty list of JSON texts")
    root: dict[str, Any] | None = None
    for text in events:
        try:
            sample = _type_of(json.loads(text))
        except ValueError:
            raise SchemasError("BadRequestException", "an event is not valid JSON") from None
        root = sample if root is None else _merged(root, sample)
    assert root is not None
    root = _with_items(root)
    if schema_type == "JSONSchemaDraft4":
        document = {"$schema": "http://json-schema.org/draft-04/schema#", "title": ROOT_NAME}
        return json.dumps(document | root)
    return json.dumps(
        {
            "openapi": "3.0.0",
            "info": {"version": "1.0.0", "title": ROOT_NAME},
            "paths": {},
            "components": {"schemas": {ROOT_NAME: root}},
        }
    )
