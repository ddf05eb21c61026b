"""The server rings idle pollers for writes to what they watch (localcloud.poller_wakeups).

Real requests through the local cloud's server: boto3 (JSON protocol) and, for SQS, the query
protocol the API front's integrations speak. A ring is done before the answer leaves the
server, so ``wait(0)`` right after the call tells whether it rang.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import boto3
import pytest
import requests

from localcloud.esm.wakeups import Wakeup, WatchKey
from localcloud.server import LocalCloudServer

REGION = "us-east-1"
NEVER_S = 60.0


@pytest.fixture
def client(local_server: LocalCloudServer) -> Callable[[str], Any]:
    def make(service: str) -> Any:
        return boto3.client(service, endpoint_url=local_server.url, region_name=REGION)  # type: ignore[call-overload]

    return make


@pytest.fixture
def watch(local_server: LocalCloudServer) -> Callable[[WatchKey], Wakeup]:
    def subscribe(key: WatchKey) -> Wakeup:
        wakeup = local_server.wakeups.subscribe(key)
        wakeup.arm()
        return wakeup

    return subscribe


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def test_kinesis_puts_ring_their_stream_only(client: Any, watch: Any) -> None:
    kinesis = client("kinesis")
    written, other = unique("stream"), unique("stream")
    for name in (written, other):
        kinesis.create_stream(StreamName=name, ShardCount=1)
    arn = kinesis.describe_stream(StreamName=written)["StreamDescription"]["StreamARN"]
    by_name, by_arn, untouched = (
        watch(("kinesis", written)),
        watch(("kinesis", written)),
        watch(("kinesis", other)),
    )

    kinesis.put_record(StreamName=written, PartitionKey="k", Data=b"1")
    assert by_name.wait(0) is True
    by_arn.arm()
    kinesis.put_records(StreamARN=arn, Records=[{"PartitionKey": "k", "Data": b"2"}])
    assert by_arn.wait(0) is True
    assert untouched.wait(0) is False


def test_a_reshard_rings_the_shard_list(client: Any, watch: Any) -> None:
    kinesis = client("kinesis")
    name = unique("stream")
    kinesis.create_stream(StreamName=name, ShardCount=1)
    shards = watch(("kinesis-shards", name))

    kinesis.update_shard_count(StreamName=name, TargetShardCount=2, ScalingType="UNIFORM_SCALING")
    assert shards.wait(0) is True


def _table(dynamodb: Any) -> str:
    name = unique("table")
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    return name


@pytest.mark.parametrize(
    "write",
    [
        lambda db, t: db.put_item(TableName=t, Item={"pk": {"S": "a"}}),
        lambda db, t: db.update_item(
            TableName=t,
            Key={"pk": {"S": "a"}},
            UpdateExpression="SET n = :n",
            ExpressionAttributeValues={":n": {"N": "1"}},
        ),
        lambda db, t: db.delete_item(TableName=t, Key={"pk": {"S": "a"}}),
        lambda db, t: db.batch_write_item(
            RequestItems={t: [{"PutRequest": {"Item": {"pk": {"S": "b"}}}}]}
        ),
        lambda db, t: db.transact_write_items(
            TransactItems=[{"Put": {"TableName": t, "Item": {"pk": {"S": "c"}}}}]
        ),
        lambda db, t: db.execute_statement(Statement=f"INSERT INTO \"{t}\" VALUE {{'pk': 'd'}}"),
    ],
    ids=["put", "update", "delete", "batch", "transaction", "partiql"],
)
def test_every_kind_of_table_write_rings_its_stream(
    client: Any, watch: Any, write: Callable[[Any, str], Any]
) -> None:
    dynamodb = client("dynamodb")
    table = _table(dynamodb)
    wakeup = watch(("dynamodb", table))

    write(dynamodb, table)
    assert wakeup.wait(0) is True


def test_reads_ring_nothing(client: Any, watch: Any) -> None:
    dynamodb = client("dynamodb")
    table = _table(dynamodb)
    wakeup = watch(("dynamodb", table))

    dynamodb.get_item(TableName=table, Key={"pk": {"S": "a"}})
    dynamodb.scan(TableName=table)
    assert wakeup.wait(0) is False


def _queue(sqs: Any) -> tuple[str, str]:
    name = unique("queue")
    return name, sqs.create_queue(QueueName=name)["QueueUrl"]


def test_a_sent_message_rings_its_queue_at_once(client: Any, watch: Any) -> None:
    sqs = client("sqs")
    name, url = _queue(sqs)
    wakeup = watch(("sqs", name))

    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "1", "MessageBody": "m"}])
    assert wakeup.wait(0) is True


def test_a_delayed_message_rings_when_its_delay_ends(client: Any, watch: Any) -> None:
    sqs = client("sqs")
    name, url = _queue(sqs)
    wakeup = watch(("sqs", name))

    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=1)
    assert wakeup.wait(0) is False
    assert wakeup.wait(NEVER_S) is True


def test_a_visibility_change_rings_when_the_message_is_visible_again(
    client: Any, watch: Any
) -> None:
    sqs = client("sqs")
    name, url = _queue(sqs)
    sqs.send_message(QueueUrl=url, MessageBody="m")
    receipt = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    wakeup = watch(("sqs", name))

    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=receipt, VisibilityTimeout=1)
    assert wakeup.wait(0) is False
    assert wakeup.wait(NEVER_S) is True
    assert len(sqs.receive_message(QueueUrl=url).get("Messages", [])) == 1


def test_a_query_protocol_send_rings_its_queue(
    client: Any, watch: Any, local_server: LocalCloudServer
) -> None:
    name, url = _queue(client("sqs"))
    wakeup = watch(("sqs", name))

    answer = requests.post(
        local_server.url,
        data={"Action": "SendMessage", "QueueUrl": url, "MessageBody": "from the API front"},
        headers={
            "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/sqs/"
            "aws4_request, SignedHeaders=host, Signature=0"
        },
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    assert wakeup.wait(0) is True


def test_a_malformed_write_reaches_moto_and_rings_nothing(
    client: Any, watch: Any, local_server: LocalCloudServer
) -> None:
    name = unique("stream")
    client("kinesis").create_stream(StreamName=name, ShardCount=1)
    wakeup = watch(("kinesis", name))

    answer = requests.post(
        local_server.url,
        data=b'{"StreamName": "' + name.encode() + b'", ',
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "Kinesis_20131202.PutRecord",
            "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/kinesis/"
            "aws4_request, SignedHeaders=host, Signature=0",
        },
        timeout=10,
    )
    assert 400 <= answer.status_code < 600
    assert wakeup.wait(0) is False
