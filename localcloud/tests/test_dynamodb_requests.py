"""DynamoDB requests parsed in one pass (``moto_internals.dynamodb_requests``) give moto exactly
what its own JSON parser gives: the same values, types, and key order, for every operation that
carries attribute values, from the bodies botocore sends."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.serialize import create_serializer
from moto.core.parse import PROTOCOL_PARSERS, JSONParser
from moto.core.responses import get_service_model

from localcloud.moto_internals import dynamodb_requests
from localcloud.server import LocalCloudServer

ITEM: dict[str, Any] = {
    "pk": {"S": 'a "quoted" é 🧪 \\ \n'},
    "sk": {"N": "-12.50"},
    "empty": {"S": ""},
    "b": {"B": b"\x00\xffbinary"},
    "bs": {"BS": [b"\x01", b"\x02\x03"]},
    "ss": {"SS": ["x", "y"]},
    "ns": {"NS": ["1", "2.5"]},
    "l": {"L": [{"S": "s"}, {"B": b"\x03"}, {"L": []}, {"M": {}}, {"NULL": True}]},
    "m": {"M": {"inner": {"M": {"deep": {"BOOL": False}}}, "set": {"SS": ["only"]}}},
}
KEY = {"pk": ITEM["pk"], "sk": ITEM["sk"]}
REQUESTS: dict[str, dict[str, Any]] = {
    "BatchWriteItem": {
        "RequestItems": {
            "t": [{"PutRequest": {"Item": ITEM}}, {"DeleteRequest": {"Key": KEY}}],
            "u": [{"PutRequest": {"Item": {"pk": {"S": "p"}}}}],
        }
    },
    "PutItem": {
        "TableName": "t",
        "Item": ITEM,
        "ConditionExpression": "attribute_not_exists(pk) OR n < :v",
        "ExpressionAttributeValues": {":v": {"N": "3"}},
    },
    "UpdateItem": {
        "TableName": "t",
        "Key": KEY,
        "UpdateExpression": "SET l = list_append(l, :l)",
        "ExpressionAttributeValues": {":l": ITEM["l"]},
        "Expected": {"m": {"Value": {"S": "x"}, "ComparisonOperator": "NE"}},
    },
    "Query": {
        "TableName": "t",
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": ITEM["pk"]},
        "ExclusiveStartKey": KEY,
    },
    "BatchGetItem": {"RequestItems": {"t": {"Keys": [KEY], "ConsistentRead": True}}},
    "TransactWriteItems": {
        "TransactItems": [
            {"Put": {"TableName": "t", "Item": ITEM}},
            {"Delete": {"TableName": "t", "Key": KEY}},
        ]
    },
}


def _parse(parser_cls: type[JSONParser], operation: str, params: dict[str, Any]) -> Any:
    service = get_service_model("dynamodb")
    operation_model = service.operation_model(operation)
    body = create_serializer("json").serialize_to_request(params, operation_model)["body"]
    return parser_cls(operation_model, map_type=dict).parse(
        {
            "method": "POST",
            "values": {},
            "headers": {},
            "body": body,
            "url_path": "/",
            "url_params": {},
        }
    )


@pytest.mark.parametrize("operation", sorted(REQUESTS))
def test_requests_parse_to_what_moto_s_parser_gives(operation: str) -> None:
    fast = _parse(dynamodb_requests.DynamoDBItemParser, operation, REQUESTS[operation])
    stock = _parse(JSONParser, operation, REQUESTS[operation])
    # repr: the same values of the same types (bytes, not base64 text) in the same key order.
    assert repr(fast) == repr(stock)


def test_every_attribute_type_is_parsed_in_one_pass() -> None:
    """A moto or botocore upgrade that changes the AttributeValue shape would quietly send every
    value back to the slow path."""
    shape = get_service_model("dynamodb").shape_for("AttributeValue")
    convert = dynamodb_requests._attribute_value(shape)
    wire = {
        "b": {"B": "AP9iaW5hcnk="},
        "bs": {"BS": ["AQ==", "AgM="]},
        "l": {"L": [{"S": "s"}, {"B": "Aw=="}, {"NULL": True}]},
        "m": {"M": {"x": {"BOOL": False}}},
    }

    parsed = {name: convert(value) for name, value in wire.items()}

    assert parsed == {
        "b": {"B": b"\x00\xffbinary"},
        "bs": {"BS": [b"\x01", b"\x02\x03"]},
        "l": {"L": [{"S": "s"}, {"B": b"\x03"}, {"NULL": True}]},
        "m": {"M": {"x": {"BOOL": False}}},
    }


def test_the_local_cloud_parses_json_requests_with_it(local_server: LocalCloudServer) -> None:
    assert PROTOCOL_PARSERS["json"] is dynamodb_requests.DynamoDBItemParser
