"""DynamoDB answers with items are the bytes moto's own serialiser writes, and boto3 reads them.

The local cloud writes attribute values in one pass (``localcloud.moto_internals.dynamodb_items``)
instead of through moto's shape walker. Each answer below is taken over HTTP from the local cloud
twice, once with that serializer and once with moto's stock one, and the bodies must be equal.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import boto3
import pytest
from boto3.dynamodb.types import Binary
from moto.core.responses import get_service_model
from moto.core.serialize import SERVICE_SPECIFIC_SERIALIZERS, JSONSerializer

from localcloud.moto_internals import dynamodb_items
from localcloud.server import LocalCloudServer

# Every attribute type, empty and unusual values, nesting, binary (bytes in boto3, base64 on the
# wire) and values JSON must escape.
ITEM: dict[str, Any] = {
    "pk": {"S": 'a "quoted" é 🧪 \\ \n'},
    "sk": {"N": "-12.50"},
    "empty": {"S": ""},
    "b": {"B": b"\x00\xffbinary"},
    "empty_b": {"B": b""},
    "ss": {"SS": ["x", "y", "ü"]},
    "ns": {"NS": ["1", "2.5", "-3"]},
    "bs": {"BS": [b"\x01", b"\x02\x03"]},
    "l": {"L": [{"S": "s"}, {"N": "1"}, {"B": b"\x03"}, {"L": []}, {"M": {}}, {"NULL": True}]},
    "m": {
        "M": {
            "inner": {"M": {"deep": {"BOOL": True}, "false": {"BOOL": False}}},
            "nothing": {"NULL": True},
            "set": {"SS": ["only"]},
        }
    },
    "t": {"BOOL": False},
}
KEY = {"pk": ITEM["pk"], "sk": ITEM["sk"]}


@pytest.fixture
def dynamodb(local_server: LocalCloudServer) -> Any:
    return boto3.client("dynamodb", endpoint_url=local_server.url, region_name="us-east-1")


@pytest.fixture
def table(dynamodb: Any) -> Iterator[str]:
    name = f"items-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    yield name
    dynamodb.delete_table(TableName=name)


@contextlib.contextmanager
def _serializer(serializer: type[JSONSerializer]) -> Iterator[None]:
    dynamodb_serializers = SERVICE_SPECIFIC_SERIALIZERS["dynamodb"]
    installed = dynamodb_serializers["json"]
    dynamodb_serializers["json"] = serializer
    try:
        yield
    finally:
        dynamodb_serializers["json"] = installed


def _raw_body(dynamodb: Any, call: Callable[[], Any]) -> bytes:
    """The body of the answer to ``call`` as it came over HTTP, before botocore parsed it."""
    bodies: list[bytes] = []

    def keep(response_dict: dict[str, Any] | None = None, **_: Any) -> None:
        if response_dict is not None:
            bodies.append(response_dict["body"])

    dynamodb.meta.events.register("response-received.dynamodb", keep)
    try:
        with contextlib.suppress(dynamodb.exceptions.ClientError):
            call()
    finally:
        dynamodb.meta.events.unregister("response-received.dynamodb", keep)
    (body,) = bodies
    return body


def _both(dynamodb: Any, call: Callable[[], Any]) -> tuple[bytes, bytes]:
    """(the local cloud's answer, moto's stock serialiser's answer) to the same read."""
    with _serializer(dynamodb_items.DynamoDBItemSerializer):
        fast = _raw_body(dynamodb, call)
    with _serializer(JSONSerializer):
        stock = _raw_body(dynamodb, call)
    return fast, stock


def test_the_local_cloud_serialises_dynamodb_with_the_one_pass_writer(
    local_server: LocalCloudServer,
) -> None:
    assert SERVICE_SPECIFIC_SERIALIZERS["dynamodb"]["json"] is dynamodb_items.DynamoDBItemSerializer


def test_read_answers_are_the_bytes_moto_writes(dynamodb: Any, table: str) -> None:
    dynamodb.put_item(TableName=table, Item=ITEM)
    dynamodb.put_item(TableName=table, Item={**ITEM, "sk": {"N": "7"}, "extra": {"S": "e"}})
    reads: dict[str, Callable[[], Any]] = {
        "GetItem": lambda: dynamodb.get_item(TableName=table, Key=KEY, ConsistentRead=True),
        "GetItem projected": lambda: dynamodb.get_item(
            TableName=table, Key=KEY, ProjectionExpression="b, m.inner, l[1]"
        ),
        "GetItem missing": lambda: dynamodb.get_item(
            TableName=table, Key={"pk": {"S": "none"}, "sk": {"N": "0"}}
        ),
        "BatchGetItem": lambda: dynamodb.batch_get_item(
            RequestItems={table: {"Keys": [KEY, *({**KEY, "sk": {"N": n}} for n in ("7", "9"))]}}
        ),
        "Query": lambda: dynamodb.query(
            TableName=table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": ITEM["pk"]},
            Limit=1,
        ),
        "Scan": lambda: dynamodb.scan(TableName=table),
        "Query COUNT": lambda: dynamodb.query(
            TableName=table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": ITEM["pk"]},
            Select="COUNT",
        ),
    }
    for name, read in reads.items():
        fast, stock = _both(dynamodb, read)
        assert fast == stock, name


def test_write_answers_are_the_bytes_moto_writes(dynamodb: Any, table: str) -> None:
    writes: list[tuple[str, Callable[[], Any]]] = [
        ("PutItem", lambda: dynamodb.put_item(TableName=table, Item=ITEM)),
        (
            "PutItem ALL_OLD",
            lambda: dynamodb.put_item(TableName=table, Item=ITEM, ReturnValues="ALL_OLD"),
        ),
        (
            "UpdateItem ALL_NEW",
            lambda: dynamodb.update_item(
                TableName=table,
                Key=KEY,
                UpdateExpression="SET c = :c",
                ExpressionAttributeValues={":c": {"NS": ["5"]}},
                ReturnValues="ALL_NEW",
            ),
        ),
        (
            "PutItem failed condition, ALL_OLD",
            lambda: dynamodb.put_item(
                TableName=table,
                Item=ITEM,
                ConditionExpression="attribute_not_exists(pk)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            ),
        ),
        (
            "BatchWriteItem",
            lambda: dynamodb.batch_write_item(
                RequestItems={table: [{"PutRequest": {"Item": {**ITEM, "sk": {"N": "8"}}}}]}
            ),
        ),
        (
            "DeleteItem ALL_OLD",
            lambda: dynamodb.delete_item(TableName=table, Key=KEY, ReturnValues="ALL_OLD"),
        ),
    ]
    for name, write in writes:
        # The same write twice, so the second answer (moto's) starts from the same state.
        dynamodb.put_item(TableName=table, Item=ITEM)
        with _serializer(dynamodb_items.DynamoDBItemSerializer):
            fast = _raw_body(dynamodb, write)
        dynamodb.put_item(TableName=table, Item=ITEM)
        with _serializer(JSONSerializer):
            stock = _raw_body(dynamodb, write)
        assert fast == stock, name


def test_boto3_reads_back_every_attribute_type(local_server: LocalCloudServer, table: str) -> None:
    resource = boto3.resource("dynamodb", endpoint_url=local_server.url, region_name="us-east-1")
    item = {
        "pk": "p",
        "sk": Decimal("1"),
        "n": Decimal("3.25"),
        "b": Binary(b"\x00\x01"),
        "bs": {Binary(b"\x02"), Binary(b"\x03")},
        "ss": {"a", "b"},
        "ns": {Decimal(1), Decimal("2.5")},
        "l": ["x", Decimal(2), None, True, {"k": Binary(b"\x04")}],
        "m": {"inner": {"deep": False}},
        "empty": "",
    }
    resource.Table(table).put_item(Item=item)

    got = resource.Table(table).get_item(Key={"pk": "p", "sk": Decimal("1")})["Item"]
    batch = resource.batch_get_item(RequestItems={table: {"Keys": [{"pk": "p", "sk": 1}]}})

    assert got == item
    assert batch["Responses"][table] == [item]


def test_every_attribute_type_of_the_model_is_written_in_one_pass() -> None:
    """A moto or botocore upgrade that changes the AttributeValue shape would quietly send every
    value back to the slow path: each type of ITEM must be written here, as the wire has it."""
    shape = get_service_model("dynamodb").shape_for("AttributeValue")
    convert = dynamodb_items._attribute_value(shape)

    written = {name: convert(value) for name, value in ITEM.items()}

    assert written["b"] == {"B": "AP9iaW5hcnk="}
    assert written["bs"] == {"BS": ["AQ==", "AgM="]}
    assert written["l"]["L"][2] == {"B": "Aw=="}
    assert written["m"] == ITEM["m"]
    assert {name: value for name, value in written.items() if "B" not in str(value)} == {
        name: value for name, value in ITEM.items() if "B" not in str(value)
    }
