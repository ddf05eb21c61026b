"""The pydantic OutboxReceipts and the template's OpenAPI OutboxReceipts schema agree.

API Gateway validates POST /outbox/acks and /outbox/releases bodies first, the function again
(it can be invoked directly); a body one accepts and the other refuses would be a 400 from one
side and a 200 from the other.
"""

from __future__ import annotations

from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from pydantic import ValidationError

from inbox_outbox.models import MAX_RECEIPT_LENGTH, MAX_RECEIPTS, OutboxReceipts
from tests.repository import template

GOOD: list[Any] = [
    {"receipts": ["r"]},
    {"receipts": [f"r{i}" for i in range(MAX_RECEIPTS)]},
    {"receipts": ["x" * MAX_RECEIPT_LENGTH]},
    {"receipts": ["AQEB+/=", "with spaces é"]},
]
BAD: list[Any] = [
    {},
    {"receipts": []},
    {"receipts": None},
    {"receipts": "r"},
    {"receipts": [""]},
    {"receipts": [1]},
    {"receipts": [None]},
    {"receipts": ["r", "r"]},
    {"receipts": [f"r{i}" for i in range(MAX_RECEIPTS + 1)]},
    {"receipts": ["x" * (MAX_RECEIPT_LENGTH + 1)]},
    {"receipts": ["r"], "more": 1},
    [],
    "receipts",
    None,
]


def schema() -> dict[str, Any]:
    body = template()["Resources"]["InboxOutboxApi"]["Properties"]["DefinitionBody"]
    found: dict[str, Any] = body["components"]["schemas"]["OutboxReceipts"]
    return found


def schema_accepts(body: Any) -> bool:
    try:
        jsonschema.Draft4Validator(schema()).validate(body)
    except jsonschema.ValidationError:
        return False
    return True


def model_accepts(body: Any) -> bool:
    try:
        OutboxReceipts.model_validate(body)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("body", GOOD)
def test_both_accept(body: Any) -> None:
    assert schema_accepts(body) and model_accepts(body)


@pytest.mark.parametrize("body", BAD)
def test_both_refuse(body: Any) -> None:
    assert not schema_accepts(body) and not model_accepts(body)


def test_the_routes_validate_their_bodies_with_the_model() -> None:
    definition = template()["Resources"]["InboxOutboxApi"]["Properties"]["DefinitionBody"]
    validators = definition["x-amazon-apigateway-request-validators"]
    for path in ("/outbox/acks", "/outbox/releases"):
        operation = definition["paths"][path]["post"]
        assert validators[operation["x-amazon-apigateway-request-validator"]]["validateRequestBody"]
        content = operation["requestBody"]["content"]["application/json"]
        assert content["schema"] == {"$ref": "#/components/schemas/OutboxReceipts"}
        assert operation["security"] == [{"AWS_IAM": []}]
