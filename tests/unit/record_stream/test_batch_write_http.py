"""SignedBatchWriteItem over real HTTP: its own urllib3 pool, not botocore's session or a mock.

The moto tests beside it answer in ``before-send``, before any byte is sent; these send. Against
bench.stub_dynamodb (a separate process that counts requests and puts) and moto's own HTTP
server (which parses each request as DynamoDB does and answers DynamoDB's errors).
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from bench.processes import Service, stub_dynamodb
from record_stream.dal.batch_write_call import SignedBatchWriteItem
from record_stream.dal.clients import _config

TABLE = "processed"


def _items(count: int, prefix: str = "item") -> list[dict[str, Any]]:
    return [
        {"PutRequest": {"Item": {"PK": {"S": "batch é"}, "SK": {"S": f"{prefix}-{i:03d}"}}}}
        for i in range(count)
    ]


def _call(endpoint_url: str) -> SignedBatchWriteItem:
    client = boto3.client(
        "dynamodb", region_name="us-east-1", endpoint_url=endpoint_url, config=_config(10)
    )
    return SignedBatchWriteItem(client, boto3.session.Session().get_credentials(), 10)


@pytest.fixture
def stub() -> Iterator[Service]:
    with stub_dynamodb(0.0) as service:
        yield service


@pytest.fixture
def moto_server() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def test_every_call_reaches_the_server_on_one_kept_alive_connection(stub: Service) -> None:
    call = _call(stub.url)
    for start in range(3):
        response = call.batch_write_item(RequestItems={TABLE: _items(25, f"c{start}")})
        assert response == {"UnprocessedItems": {}}
    with urllib.request.urlopen(f"{stub.url}/__stub__/stats", timeout=10) as answer:
        counts = json.loads(answer.read())
    assert counts == {"requests": {"DynamoDB_20120810.BatchWriteItem": 3}, "items": 75}
    assert call.pool.num_connections == 1


def test_moto_stores_what_is_sent_and_its_errors_are_the_clients(moto_server: str) -> None:
    client = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=moto_server)
    call = _call(moto_server)
    # No table yet: DynamoDB's 400 ResourceNotFoundException, modeled, not retried.
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        call.batch_write_item(RequestItems={TABLE: _items(2)})
    client.create_table(
        TableName=TABLE,
        KeySchema=[
            {"AttributeName": "PK", "KeyType": "HASH"},
            {"AttributeName": "SK", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "PK", "AttributeType": "S"},
            {"AttributeName": "SK", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    assert call.batch_write_item(RequestItems={TABLE: _items(25)})["UnprocessedItems"] == {}
    stored = client.scan(TableName=TABLE)["Items"]
    assert sorted(item["SK"]["S"] for item in stored) == [f"item-{i:03d}" for i in range(25)]
    assert {item["PK"]["S"] for item in stored} == {"batch é"}
