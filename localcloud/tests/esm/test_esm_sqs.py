"""SQS mappings against a real moto server: event shape, deletes, partial batches, DLQ
redrive, filters, batching and concurrency."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.esm.esm_support import (
    Cloud,
    FunctionError,
    RecordingFunction,
    mapping,
    wait_until,
)

# The keys of Lambda's SQS record (developer guide sample event), for a message without
# message attributes (md5OfMessageAttributes appears only with them).
SQS_RECORD_KEYS = {
    "messageId",
    "receiptHandle",
    "body",
    "attributes",
    "messageAttributes",
    "md5OfBody",
    "eventSource",
    "eventSourceARN",
    "awsRegion",
}
SQS_ATTRIBUTE_KEYS = {
    "ApproximateReceiveCount",
    "SentTimestamp",
    "SenderId",
    "ApproximateFirstReceiveTimestamp",
}


def bodies(function: RecordingFunction) -> list[str]:
    return [record["body"] for batch in function.batches for record in batch]


def test_event_shape_matches_lambdas_sqs_event(cloud: Cloud, start_mappings: Any) -> None:
    url, arn = cloud.queue()
    cloud.sqs.send_message(QueueUrl=url, MessageBody="plain")
    cloud.sqs.send_message(
        QueueUrl=url,
        MessageBody="with attributes",
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "order"}},
    )
    function = RecordingFunction()
    start_mappings([mapping("sqs", arn)], function)
    wait_until(lambda: function.record_count() == 2)

    records = {r["body"]: r for b in function.batches for r in b}
    plain, attributed = records["plain"], records["with attributes"]
    assert set(plain) == SQS_RECORD_KEYS
    assert set(attributed) == SQS_RECORD_KEYS | {"md5OfMessageAttributes"}
    assert set(plain["attributes"]) == SQS_ATTRIBUTE_KEYS
    assert plain["attributes"]["ApproximateReceiveCount"] == "1"
    assert plain["eventSource"] == "aws:sqs"
    assert plain["eventSourceARN"] == arn
    assert plain["awsRegion"] == "us-east-1"
    assert attributed["messageAttributes"] == {
        "kind": {
            "stringValue": "order",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        }
    }
    wait_until(lambda: cloud.depth(url) == 0, what="the batch to be deleted")


def test_partial_batch_response_deletes_only_the_successes(
    cloud: Cloud, start_mappings: Any
) -> None:
    url, arn = cloud.queue(VisibilityTimeout="1")
    cloud.send(url, ["ok-1", "bad-1", "ok-2", "bad-2"])
    seen: set[str] = set()

    def handler(event: dict[str, Any]) -> Any:
        failures = []
        for record in event["Records"]:
            if record["body"].startswith("bad") and record["body"] not in seen:
                failures.append({"itemIdentifier": record["messageId"]})
            seen.add(record["body"])
        return {"batchItemFailures": failures}

    function = RecordingFunction(handler)
    # No batching window: with a 1 s visibility timeout a held batch would reappear meanwhile
    # (AWS asks for a visibility timeout of 6x the function timeout plus the window).
    spec = mapping("sqs", arn, report_batch_item_failures=True)
    start_mappings([spec], function)
    wait_until(lambda: cloud.depth(url) == 0, what="the queue to empty")

    delivered = bodies(function)
    # The successes were deleted at once; only the failures came back (after 1 s).
    assert sorted(delivered) == ["bad-1", "bad-1", "bad-2", "bad-2", "ok-1", "ok-2"]


def test_function_errors_leave_messages_for_moto_to_redrive(
    cloud: Cloud, start_mappings: Any
) -> None:
    dlq_url, dlq_arn = cloud.queue()
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})
    url, arn = cloud.queue(VisibilityTimeout="1", RedrivePolicy=redrive)
    cloud.send(url, ["doomed"])

    def handler(event: dict[str, Any]) -> Any:
        raise FunctionError("always")

    function = RecordingFunction(handler)
    start_mappings([mapping("sqs", arn, maximum_concurrency=2)], function)
    wait_until(lambda: cloud.depth(dlq_url) == 1, timeout=15, what="the DLQ")

    assert bodies(function) == ["doomed", "doomed"]  # received maxReceiveCount times
    assert cloud.depth(url) == 0


def test_non_matching_messages_are_deleted_without_invoking(
    cloud: Cloud, start_mappings: Any
) -> None:
    url, arn = cloud.queue()
    cloud.send(
        url,
        [json.dumps({"kind": "order", "n": 1}), json.dumps({"kind": "refund"}), "plain text"],
    )
    function = RecordingFunction()
    spec = mapping("sqs", arn, filter_patterns=('{"body": {"kind": ["order"]}}',))
    start_mappings([spec], function)
    wait_until(lambda: cloud.depth(url) == 0, what="the queue to empty")

    assert bodies(function) == [json.dumps({"kind": "order", "n": 1})]


def test_batch_size_window_and_concurrency(cloud: Cloud, start_mappings: Any) -> None:
    url, arn = cloud.queue()
    cloud.send(url, [f"m{n}" for n in range(25)])

    def handler(event: dict[str, Any]) -> Any:
        time.sleep(0.2)  # long enough for the pollers to overlap

    function = RecordingFunction(handler)
    spec = mapping("sqs", arn, batch_size=4, maximum_batching_window_s=1, maximum_concurrency=2)
    start_mappings([spec], function)
    wait_until(lambda: cloud.depth(url) == 0, timeout=15, what="the queue to empty")

    assert sorted(bodies(function)) == sorted(f"m{n}" for n in range(25))
    assert max(len(b) for b in function.batches) == 4
    assert function.max_in_flight == 2


def test_the_poller_survives_an_invoker_that_raises(cloud: Cloud, start_mappings: Any) -> None:
    url, arn = cloud.queue(VisibilityTimeout="1")
    calls: list[int] = []

    class FlakyInvoker(RecordingFunction):
        def invoke(self, function_name: str, event: Any) -> Any:
            calls.append(1)
            if len(calls) == 1:
                raise RuntimeError("worker pool unavailable")
            return super().invoke(function_name, event)

    function = FlakyInvoker()
    start_mappings([mapping("sqs", arn, maximum_concurrency=2)], function)
    cloud.send(url, ["survivor"])
    wait_until(lambda: cloud.depth(url) == 0, what="the message to be processed")

    assert bodies(function) == ["survivor"]
    assert len(calls) == 2
