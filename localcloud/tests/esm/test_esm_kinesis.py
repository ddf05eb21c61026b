"""Kinesis mappings against a real moto server: checkpointing, bisect, retries, OnFailure,
record age, filters, ordering, batching, event shape and resilience."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from typing import Any

import pytest
from tests.esm.esm_support import (
    Cloud,
    FunctionError,
    RecordingFunction,
    kinesis_data,
    mapping,
    wait_until,
)

# The keys of Lambda's Kinesis record (developer guide sample event).
KINESIS_RECORD_KEYS = {
    "kinesis",
    "eventSource",
    "eventVersion",
    "eventID",
    "eventName",
    "invokeIdentityArn",
    "awsRegion",
    "eventSourceARN",
}
KINESIS_DATA_KEYS = {
    "kinesisSchemaVersion",
    "partitionKey",
    "sequenceNumber",
    "data",
    "approximateArrivalTimestamp",
}
FAILURE_KEYS = {"requestContext", "responseContext", "version", "timestamp", "KinesisBatchInfo"}
BATCH_INFO_KEYS = {
    "shardId",
    "startSequenceNumber",
    "endSequenceNumber",
    "approximateArrivalOfFirstRecord",
    "approximateArrivalOfLastRecord",
    "batchSize",
    "streamArn",
}


def wait_until_reading(supervisor: Any) -> None:
    """Until every shard of the mapping has been read once (its iterator is taken)."""

    def reading() -> bool:
        shards = [e for e in supervisor.health() if e["loop"].startswith("shardId-")]
        return bool(shards) and all(e["last_ok_at"] is not None for e in shards)

    wait_until(reading, what="the shard's first read")


def seqs(batch: list[dict[str, Any]]) -> list[str]:
    return [record["kinesis"]["sequenceNumber"] for record in batch]


def test_event_shape_matches_lambdas_kinesis_event(cloud: Cloud, start_mappings: Any) -> None:
    name, arn = cloud.stream()
    (seq,) = cloud.put(name, [("pk-1", {"n": 1})])
    function = RecordingFunction()
    start_mappings([mapping("kinesis", arn)], function)
    wait_until(lambda: function.record_count() == 1)

    (record,) = function.batches[0]
    assert set(record) == KINESIS_RECORD_KEYS
    assert set(record["kinesis"]) == KINESIS_DATA_KEYS
    assert record["eventSource"] == "aws:kinesis"
    assert record["eventName"] == "aws:kinesis:record"
    assert record["eventID"] == f"shardId-000000000000:{seq}"
    assert record["eventSourceARN"] == arn
    assert record["awsRegion"] == "us-east-1"
    assert record["kinesis"]["partitionKey"] == "pk-1"
    assert kinesis_data(record) == {"n": 1}
    assert isinstance(record["kinesis"]["approximateArrivalTimestamp"], float)


def test_partial_failure_retries_from_the_lowest_failed_record(
    cloud: Cloud, start_mappings: Any
) -> None:
    name, arn = cloud.stream()
    sequence = cloud.put(name, [("pk", {"n": n}) for n in range(5)])
    failed_once: set[str] = set()

    def handler(event: dict[str, Any]) -> Any:
        # Reports records 4 and 2 once; Lambda must resume from 2 (the lowest), not redeliver
        # 0 and 1, and redeliver 3 and 4 although 3 succeeded.
        failures = [
            {"itemIdentifier": r["kinesis"]["sequenceNumber"]}
            for r in reversed(event["Records"])
            if kinesis_data(r)["n"] in (2, 4) and r["kinesis"]["sequenceNumber"] not in failed_once
        ]
        failed_once.update(f["itemIdentifier"] for f in failures)
        return {"batchItemFailures": failures}

    function = RecordingFunction(handler)
    spec = mapping("kinesis", arn, report_batch_item_failures=True)
    start_mappings([spec], function)
    wait_until(lambda: len(function.batches) >= 2)
    time.sleep(0.3)  # nothing more may arrive

    assert [seqs(b) for b in function.batches] == [sequence, sequence[2:]]


def test_bisect_isolates_a_poison_record(cloud: Cloud, start_mappings: Any) -> None:
    name, arn = cloud.stream()
    failure_url, failure_arn = cloud.queue()
    sequence = cloud.put(name, [("pk", {"n": n, "poison": n == 5}) for n in range(8)])

    def handler(event: dict[str, Any]) -> Any:
        if any(kinesis_data(r)["poison"] for r in event["Records"]):
            raise FunctionError("poison")

    function = RecordingFunction(handler)
    spec = mapping(
        "kinesis",
        arn,
        bisect_batch_on_function_error=True,
        maximum_retry_attempts=1,
        on_failure_destination_arn=failure_arn,
    )
    start_mappings([spec], function)
    wait_until(lambda: cloud.depth(failure_url) == 1, what="the OnFailure message")
    time.sleep(0.2)

    succeeded = [
        n
        for batch in function.batches
        for n in (kinesis_data(r)["n"] for r in batch)
        if not any(kinesis_data(r)["poison"] for r in batch)
    ]
    assert succeeded == [0, 1, 2, 3, 4, 6, 7]  # each neighbour once, in order
    (message,) = cloud.drain(failure_url)
    info = message["KinesisBatchInfo"]
    assert info["batchSize"] == 1
    assert info["startSequenceNumber"] == info["endSequenceNumber"] == sequence[5]
    # The single poison record: one invoke plus one retry (bisection is not a retry).
    assert message["requestContext"]["approximateInvokeCount"] == 2
    assert [seqs(b) for b in function.batches].count([sequence[5]]) == 2


def test_exhausted_retries_send_the_on_failure_record_and_the_shard_moves_on(
    cloud: Cloud, start_mappings: Any
) -> None:
    name, arn = cloud.stream()
    failure_url, failure_arn = cloud.queue()
    sequence = cloud.put(name, [("pk", {"n": n, "ok": False}) for n in range(3)])

    def handler(event: dict[str, Any]) -> Any:
        if not all(kinesis_data(r)["ok"] for r in event["Records"]):
            raise FunctionError("boom")

    function = RecordingFunction(handler)
    spec = mapping("kinesis", arn, maximum_retry_attempts=2, on_failure_destination_arn=failure_arn)
    start_mappings([spec], function)
    wait_until(lambda: cloud.depth(failure_url) == 1, what="the OnFailure message")
    later = cloud.put(name, [("pk", {"n": 9, "ok": True})])
    wait_until(lambda: seqs(function.batches[-1]) == later, what="the next batch")

    assert [seqs(b) for b in function.batches] == [sequence] * 3 + [later]
    (message,) = cloud.drain(failure_url)
    assert set(message) == FAILURE_KEYS
    assert message["version"] == "1.0"
    assert message["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert message["requestContext"]["approximateInvokeCount"] == 3
    assert message["requestContext"]["functionArn"].endswith(":function:fn-under-test")
    assert message["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    info = message["KinesisBatchInfo"]
    assert set(info) == BATCH_INFO_KEYS
    assert info["shardId"] == "shardId-000000000000"
    assert (info["startSequenceNumber"], info["endSequenceNumber"]) == (sequence[0], sequence[2])
    assert info["batchSize"] == 3
    assert info["streamArn"] == arn
    assert info["approximateArrivalOfFirstRecord"].endswith("Z")


def test_records_older_than_the_maximum_age_are_discarded_without_invoking(
    cloud: Cloud, start_mappings: Any
) -> None:
    name, arn = cloud.stream()
    failure_url, failure_arn = cloud.queue()
    old = cloud.put(name, [("pk", {"n": 0}), ("pk", {"n": 1})])
    time.sleep(1.2)
    function = RecordingFunction()
    spec = mapping("kinesis", arn, maximum_record_age_s=1, on_failure_destination_arn=failure_arn)
    start_mappings([spec], function)
    # Generous: on a loaded machine the poller's start alone took over 10 s (one run of
    # `make unit` at load average 15 on 2 cores); only the order of events is asserted.
    wait_until(lambda: cloud.depth(failure_url) == 1, timeout=60, what="the OnFailure message")
    fresh = cloud.put(name, [("pk", {"n": 2})])
    wait_until(lambda: function.record_count() == 1)

    assert [seqs(b) for b in function.batches] == [fresh]
    (message,) = cloud.drain(failure_url)
    assert message["requestContext"]["condition"] == "RecordAgeExceeded"
    assert message["requestContext"]["approximateInvokeCount"] == 0
    assert "responseContext" not in message  # never invoked
    assert message["KinesisBatchInfo"]["startSequenceNumber"] == old[0]
    assert message["KinesisBatchInfo"]["endSequenceNumber"] == old[1]


def test_a_failing_record_is_retried_until_it_expires(cloud: Cloud, start_mappings: Any) -> None:
    name, arn = cloud.stream()
    failure_url, failure_arn = cloud.queue()

    def handler(event: dict[str, Any]) -> Any:
        raise FunctionError("always")

    function = RecordingFunction(handler)
    spec = mapping(  # MaximumRetryAttempts -1: retry until MaximumRecordAgeInSeconds
        "kinesis", arn, maximum_record_age_s=1, on_failure_destination_arn=failure_arn
    )
    # The record's one second of age starts once the shard is being read, not before: on a
    # loaded machine starting the poller alone can take longer than that.
    wait_until_reading(start_mappings([spec], function))
    cloud.put(name, [("pk", {"n": 0})])
    wait_until(lambda: cloud.depth(failure_url) == 1, what="the OnFailure message")

    (message,) = cloud.drain(failure_url)
    assert message["requestContext"]["condition"] == "RecordAgeExceeded"
    assert message["requestContext"]["approximateInvokeCount"] == len(function.batches) > 1
    assert message["responseContext"]["functionError"] == "Unhandled"


def test_filters_skip_non_matching_records(cloud: Cloud, start_mappings: Any) -> None:
    name, arn = cloud.stream()
    cloud.put(
        name,
        [
            ("pk", {"kind": "order", "n": 1}),
            ("pk", {"kind": "refund", "n": 2}),
            ("pk", b"not json"),
            ("pk", {"kind": "order", "n": 3}),
        ],
    )
    function = RecordingFunction()
    spec = mapping("kinesis", arn, filter_patterns=('{"data": {"kind": ["order"]}}',))
    start_mappings([spec], function)
    wait_until(lambda: function.record_count() == 2)
    cloud.put(name, [("pk", {"kind": "refund", "n": 4}), ("pk", {"kind": "order", "n": 5})])
    wait_until(lambda: function.record_count() == 3)
    time.sleep(0.2)

    assert [kinesis_data(r)["n"] for b in function.batches for r in b] == [1, 3, 5]


def test_order_per_partition_key_holds_under_retries_across_shards(
    cloud: Cloud, start_mappings: Any
) -> None:
    name, arn = cloud.stream(shards=3)
    keys = [f"key-{k}" for k in range(6)]
    per_key = 15
    cloud.put(name, [(key, {"key": key, "n": n}) for n in range(per_key) for key in keys])
    failed_once: set[tuple[str, int]] = set()
    processed: dict[str, list[int]] = defaultdict(list)

    def handler(event: dict[str, Any]) -> Any:
        # Processes in order and stops at the first record it fails (some fail once).
        for index, record in enumerate(event["Records"]):
            data = kinesis_data(record)
            marker = (data["key"], data["n"])
            if data["n"] % 4 == 1 and marker not in failed_once:
                failed_once.add(marker)
                rest = event["Records"][index:]
                return {
                    "batchItemFailures": [
                        {"itemIdentifier": r["kinesis"]["sequenceNumber"]} for r in rest
                    ]
                }
            processed[data["key"]].append(data["n"])
        return {"batchItemFailures": []}

    function = RecordingFunction(handler)
    spec = mapping("kinesis", arn, batch_size=7, report_batch_item_failures=True)
    start_mappings([spec], function)
    wait_until(lambda: sum(map(len, processed.values())) == len(keys) * per_key, timeout=20)

    shards = {r["eventID"].split(":")[0] for b in function.batches for r in b}
    assert len(shards) > 1  # the keys really spread over several shards
    assert all(processed[key] == list(range(per_key)) for key in keys)


def test_batch_size_and_batching_window(cloud: Cloud, start_mappings: Any) -> None:
    sized_name, sized_arn = cloud.stream()
    windowed_name, windowed_arn = cloud.stream()
    cloud.put(sized_name, [("pk", {"n": n}) for n in range(7)])
    sized, windowed = RecordingFunction(), RecordingFunction()
    start_mappings([mapping("kinesis", sized_arn, batch_size=3)], sized)
    start_mappings(
        [mapping("kinesis", windowed_arn, batch_size=100, maximum_batching_window_s=2)], windowed
    )
    cloud.put(windowed_name, [("pk", {"n": 0})])
    time.sleep(0.5)
    cloud.put(windowed_name, [("pk", {"n": 1})])
    wait_until(lambda: sized.record_count() == 7 and windowed.record_count() == 2)

    assert [len(b) for b in sized.batches] == [3, 3, 1]
    assert [len(b) for b in windowed.batches] == [2]  # both records waited for the window


def test_the_poller_survives_an_invoker_that_raises(cloud: Cloud, start_mappings: Any) -> None:
    name, arn = cloud.stream()
    calls: list[int] = []

    class FlakyInvoker(RecordingFunction):
        def invoke(self, function_name: str, event: Any) -> Any:
            calls.append(1)
            if len(calls) <= 2:
                raise RuntimeError("worker pool unavailable")
            return super().invoke(function_name, event)

    function = FlakyInvoker()
    start_mappings([mapping("kinesis", arn)], function)
    first = cloud.put(name, [("pk", {"n": 0})])
    wait_until(lambda: function.record_count() == 1)
    second = cloud.put(name, [("pk", {"n": 1})])
    wait_until(lambda: function.record_count() == 2)

    assert [seqs(b) for b in function.batches] == [first, second]
    assert len(calls) == 4


@pytest.mark.parametrize("position", ["LATEST", "TRIM_HORIZON"])
def test_starting_position(cloud: Cloud, start_mappings: Any, position: str) -> None:
    name, arn = cloud.stream()
    before = cloud.put(name, [("pk", {"n": 0})])
    function = RecordingFunction()
    supervisor = start_mappings([mapping("kinesis", arn, starting_position=position)], function)
    wait_until_reading(supervisor)  # LATEST is where the shard ends when its iterator is taken
    after = cloud.put(name, [("pk", {"n": 1})])
    expected = before + after if position == "TRIM_HORIZON" else after
    wait_until(lambda: function.record_count() == len(expected))
    supervisor.stop()

    assert [s for b in function.batches for s in seqs(b)] == expected


def test_a_parallelization_factor_is_warned_about_not_ignored(
    cloud: Cloud, start_mappings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    name, arn = cloud.stream()
    sent = cloud.put(name, [("pk", {"n": 0})])
    function = RecordingFunction()
    with caplog.at_level(logging.WARNING, logger="localcloud.esm.streams.poller"):
        supervisor = start_mappings([mapping("kinesis", arn, parallelization_factor=4)], function)
        wait_until(lambda: function.record_count() == len(sent))
        supervisor.stop()

    assert any(
        "ParallelizationFactor 4 is not modelled" in record.getMessage()
        for record in caplog.records
    )
