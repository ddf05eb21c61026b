"""The stream error-handling rules in isolation (no AWS): what is retried, split or discarded."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import Any

from tests.esm.esm_support import FAST, FunctionError, RecordingFunction, mapping

from localcloud.esm.on_failure import DiscardedBatch
from localcloud.esm.streams.delivery import StreamBatchDelivery
from localcloud.esm.streams.source import StreamRecord

SPEC = mapping("kinesis", "arn:aws:kinesis:us-east-1:123456789012:stream/s")


def records(count: int, arrival: float | None = None) -> list[StreamRecord]:
    now = time.time() if arrival is None else arrival
    return [StreamRecord(str(n), now, {"n": n, "seq": str(n)}, 10) for n in range(1, count + 1)]


def delivery(
    function: RecordingFunction, discarded: list[DiscardedBatch], stop: Any = None, **spec: Any
) -> StreamBatchDelivery:
    return StreamBatchDelivery(
        replace(SPEC, **spec),
        shard_id="shardId-000000000000",
        invoker=function,
        discard=discarded.append,
        settings=FAST,
        stop=stop or threading.Event(),
    )


def ns(function: RecordingFunction) -> list[list[int]]:
    return [[r["n"] for r in batch] for batch in function.batches]


def test_all_records_reported_failed_is_a_full_failure_and_bisects() -> None:
    attempts: list[int] = []

    def handler(event: dict[str, Any]) -> Any:
        attempts.append(1)
        if len(attempts) == 1:
            return {"batchItemFailures": [{"itemIdentifier": r["seq"]} for r in event["Records"]]}
        return None

    function, discarded = RecordingFunction(handler), list[DiscardedBatch]()
    assert delivery(
        function, discarded, report_batch_item_failures=True, bisect_batch_on_function_error=True
    ).deliver(records(4))
    assert ns(function) == [[1, 2, 3, 4], [1, 2], [3, 4]]
    assert discarded == []


def test_first_record_failed_alone_retries_the_batch_without_bisecting() -> None:
    failed: set[str] = set()

    def handler(event: dict[str, Any]) -> Any:
        first = event["Records"][0]["seq"]
        if first in failed:
            return None
        failed.add(first)
        return {"batchItemFailures": [{"itemIdentifier": first}]}

    function, discarded = RecordingFunction(handler), list[DiscardedBatch]()
    delivery(
        function, discarded, report_batch_item_failures=True, bisect_batch_on_function_error=True
    ).deliver(records(3))
    assert ns(function) == [[1, 2, 3], [1, 2, 3]]


def test_without_bisect_the_whole_batch_is_retried_then_discarded() -> None:
    def handler(event: dict[str, Any]) -> Any:
        raise FunctionError("down")

    function, discarded = RecordingFunction(handler), list[DiscardedBatch]()
    assert delivery(function, discarded, maximum_retry_attempts=1).deliver(records(3))
    assert ns(function) == [[1, 2, 3], [1, 2, 3]]
    (batch,) = discarded
    assert (batch.condition, batch.invoke_count, len(batch.records)) == (
        "RetryAttemptsExhausted",
        2,
        3,
    )


def test_stop_interrupts_endless_retries() -> None:
    def handler(event: dict[str, Any]) -> Any:
        raise FunctionError("down")

    stop, function = threading.Event(), RecordingFunction(handler)
    discarded: list[DiscardedBatch] = []
    worker = threading.Thread(
        target=delivery(function, discarded, stop=stop).deliver, args=[records(1)]
    )
    worker.start()
    time.sleep(0.3)
    stop.set()
    worker.join(2)
    assert not worker.is_alive()
    assert discarded == []  # not processed, not discarded: resumed from the checkpoint later
