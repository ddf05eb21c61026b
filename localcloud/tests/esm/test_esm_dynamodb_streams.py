"""DynamoDB Streams mappings against a real moto server: event shape, filters, OnFailure."""

from __future__ import annotations

import time
from typing import Any

from tests.esm.esm_support import (
    Cloud,
    FunctionError,
    RecordingFunction,
    mapping,
    wait_until,
)

# The keys of Lambda's DynamoDB record (developer guide sample event).
DDB_RECORD_KEYS = {
    "eventID",
    "eventName",
    "eventVersion",
    "eventSource",
    "awsRegion",
    "dynamodb",
    "eventSourceARN",
}
DDB_STREAM_KEYS = {
    "ApproximateCreationDateTime",
    "Keys",
    "NewImage",
    "SequenceNumber",
    "SizeBytes",
    "StreamViewType",
}


def put(cloud: Cloud, table: str, pk: str, status: str) -> None:
    cloud.dynamodb.put_item(TableName=table, Item={"pk": {"S": pk}, "status": {"S": status}})


def test_event_shape_matches_lambdas_dynamodb_event(cloud: Cloud, start_mappings: Any) -> None:
    table, stream_arn = cloud.table()
    function = RecordingFunction()
    start_mappings([mapping("dynamodb", stream_arn)], function)
    put(cloud, table, "a", "new")
    wait_until(lambda: function.record_count() == 1)

    (record,) = function.batches[0]
    assert set(record) == DDB_RECORD_KEYS
    assert set(record["dynamodb"]) == DDB_STREAM_KEYS
    assert record["eventName"] == "INSERT"
    assert record["eventSource"] == "aws:dynamodb"
    assert record["eventVersion"] == "1.1"
    assert record["eventSourceARN"] == stream_arn
    assert record["dynamodb"]["Keys"] == {"pk": {"S": "a"}}
    assert record["dynamodb"]["NewImage"] == {"pk": {"S": "a"}, "status": {"S": "new"}}
    assert record["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], int)


def test_filters_match_the_whole_record(cloud: Cloud, start_mappings: Any) -> None:
    table, stream_arn = cloud.table()
    inserts, actives = RecordingFunction(), RecordingFunction()
    start_mappings(
        [mapping("dynamodb", stream_arn, filter_patterns=('{"eventName": ["INSERT"]}',))],
        inserts,
    )
    active_only = '{"dynamodb": {"NewImage": {"status": {"S": ["active"]}}}}'
    start_mappings([mapping("dynamodb", stream_arn, filter_patterns=(active_only,))], actives)
    put(cloud, table, "a", "new")  # INSERT
    put(cloud, table, "a", "active")  # MODIFY
    cloud.dynamodb.delete_item(TableName=table, Key={"pk": {"S": "a"}})  # REMOVE
    put(cloud, table, "b", "active")  # INSERT
    wait_until(lambda: inserts.record_count() == 2 and actives.record_count() == 2)
    time.sleep(0.2)

    assert [r["eventName"] for b in inserts.batches for r in b] == ["INSERT", "INSERT"]
    assert [
        (r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for b in actives.batches for r in b
    ] == [
        ("MODIFY", "a"),
        ("INSERT", "b"),
    ]


def test_exhausted_retries_send_ddb_stream_batch_info(cloud: Cloud, start_mappings: Any) -> None:
    table, stream_arn = cloud.table()
    failure_url, failure_arn = cloud.queue()

    def handler(event: dict[str, Any]) -> Any:
        raise FunctionError("boom")

    function = RecordingFunction(handler)
    spec = mapping(
        "dynamodb", stream_arn, maximum_retry_attempts=0, on_failure_destination_arn=failure_arn
    )
    put(cloud, table, "a", "new")
    put(cloud, table, "b", "new")
    start_mappings([spec], function)
    wait_until(lambda: cloud.depth(failure_url) == 1, what="the OnFailure message")

    (message,) = cloud.drain(failure_url)
    assert set(message) == {
        "requestContext",
        "responseContext",
        "version",
        "timestamp",
        "DDBStreamBatchInfo",
    }
    assert message["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert message["requestContext"]["approximateInvokeCount"] == 1  # no retries allowed
    sequence = [r["dynamodb"]["SequenceNumber"] for r in function.batches[0]]
    info = message["DDBStreamBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"]) == (sequence[0], sequence[-1])
    assert info["batchSize"] == 2
    assert info["streamArn"] == stream_arn
    assert info["shardId"].startswith("shardId-")
