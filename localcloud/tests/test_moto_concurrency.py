"""Concurrent AWS calls against the local cloud's moto server lose nothing and number nothing twice.

moto's backends are not thread-safe, and the local cloud serves every request in its own thread:
the record processor writes 8 batches at once, pollers read while tests write. These races were
found in moto 5 (see ``localcloud/moto_internals/serial.py``):
- DynamoDB: two writes got the same stream sequence number, and a reader whose page ended on the
  second one was handed it again forever (a CI run spun for 40 minutes);
- Kinesis: two PutRecords to one shard got the same sequence number, and one record replaced the
  other;
- SQS (read in moto's code, too rare to provoke in a test's time): DeleteMessage rebuilds the
  queue's list while SendMessage appends to it, which can drop the new message.
The first two tests failed in every one of 3 runs before the fix (DynamoDB: 2-7 repeated sequence
numbers in 4,000 records; Kinesis: 53-99 of 8,000 records overwritten). The long-poll test guards
the fix itself: a waiting ReceiveMessage must not hold the others up.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from localcloud.server import LocalCloudServer

REGION = "us-east-1"
THREADS = 8


@pytest.fixture
def client(local_server: LocalCloudServer) -> Iterator[Callable[[str], Any]]:
    def make(service: str) -> Any:
        return boto3.client(  # type: ignore[call-overload]
            service,
            endpoint_url=local_server.url,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    yield make


def _run_together(target: Callable[[int], None], count: int = THREADS) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(count)

    def run(index: int) -> None:
        try:
            start.wait()
            target(index)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors


def _read_stream_to_end(streams: Any, stream_arn: str, max_pages: int = 100) -> list[int]:
    """Sequence numbers from TRIM_HORIZON to the end; fails instead of spinning."""
    shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(
        StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    numbers: list[int] = []
    for _ in range(max_pages):
        page = streams.get_records(ShardIterator=iterator, Limit=1000)
        if not page["Records"]:
            return numbers
        numbers += [int(r["dynamodb"]["SequenceNumber"]) for r in page["Records"]]
        iterator = page["NextShardIterator"]
    pytest.fail(f"the stream never ended: {len(numbers)} records in {max_pages} pages")


def test_concurrent_batch_writes_get_distinct_ordered_stream_records(client: Any) -> None:
    dynamodb, streams = client("dynamodb"), client("dynamodbstreams")
    table = f"race-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        TableName=table,
        KeySchema=[
            {"AttributeName": "PK", "KeyType": "HASH"},
            {"AttributeName": "SK", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "PK", "AttributeType": "S"},
            {"AttributeName": "SK", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    batches = 20

    def write(writer: int) -> None:
        own = client("dynamodb")
        for batch in range(batches):
            own.batch_write_item(
                RequestItems={
                    table: [
                        {
                            "PutRequest": {
                                "Item": {
                                    "PK": {"S": "p"},
                                    "SK": {"S": f"{writer}-{batch}-{i}"},
                                    "payload": {"S": "x" * 200},
                                }
                            }
                        }
                        for i in range(25)
                    ]
                }
            )

    _run_together(write)

    stream_arn = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    numbers = _read_stream_to_end(streams, stream_arn)
    assert len(numbers) == THREADS * batches * 25
    assert numbers == sorted(set(numbers)), "stream sequence numbers repeat or go backwards"


def test_concurrent_put_records_to_one_shard_keep_every_record(client: Any) -> None:
    kinesis = client("kinesis")
    stream = f"race-{uuid.uuid4().hex[:8]}"
    kinesis.create_stream(StreamName=stream, ShardCount=1)
    puts = 10

    def put(writer: int) -> None:
        own = client("kinesis")
        for chunk in range(puts):
            response = own.put_records(
                StreamName=stream,
                Records=[
                    {"Data": f"{writer}-{chunk}-{i}".encode(), "PartitionKey": "one"}
                    for i in range(100)
                ],
            )
            assert response["FailedRecordCount"] == 0

    _run_together(put)

    shard = kinesis.list_shards(StreamName=stream)["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(
        StreamName=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    data: list[bytes] = []
    numbers: list[int] = []
    while True:
        page = kinesis.get_records(ShardIterator=iterator, Limit=10_000)
        if not page["Records"]:
            break
        data += [r["Data"] for r in page["Records"]]
        numbers += [int(r["SequenceNumber"]) for r in page["Records"]]
        iterator = page["NextShardIterator"]
    assert len(set(data)) == THREADS * puts * 100, "records were overwritten"
    assert numbers == sorted(set(numbers))


def test_a_long_poll_does_not_hold_up_other_calls(client: Any) -> None:
    sqs = client("sqs")
    queue_url = sqs.create_queue(QueueName=f"poll-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    polled: list[Any] = []
    poller = threading.Thread(
        target=lambda: polled.append(
            client("sqs").receive_message(QueueUrl=queue_url, WaitTimeSeconds=5)
        )
    )
    poller.start()
    time.sleep(0.5)  # the poll is waiting on the empty queue
    sqs.list_queues()
    still_waiting_after_other_calls = poller.is_alive()
    sqs.send_message(QueueUrl=queue_url, MessageBody="wake up")
    poller.join(10)

    assert still_waiting_after_other_calls
    assert [m["Body"] for m in polled[0].get("Messages", [])] == ["wake up"]
