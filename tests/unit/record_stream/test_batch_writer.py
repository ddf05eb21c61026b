"""BatchWriter against moto: chunking, concurrency, UnprocessedItems retries and their bound."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from record_stream.dal.batch_writer import BatchWriter
from record_stream.dal.item_attributes import key_of
from record_stream.dal.put_requests import PutRequestJson, put_request_json
from record_stream.settings import WriteSettings
from tests.unit.record_stream.moto_resources import PROCESSED_TABLE, RecordStreamAws
from tests.unit.record_stream.stream_faults import fail_calls, hold_back_items, observe_calls


def _items(count: int, batch: str = "b") -> dict[tuple[str, str], PutRequestJson]:
    items = [
        {"PK": {"S": batch}, "SK": {"S": f"{i:05d}"}, "n": {"N": str(i)}} for i in range(count)
    ]
    return {key_of(item): put_request_json(item) for item in items}


class Clock:
    """Time left before a fake deadline; sleeping spends it."""

    def __init__(self, left_s: float) -> None:
        self.left_s = left_s
        self.delays: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.left_s -= seconds

    def time_left(self) -> float:
        return self.left_s


class SleepLog:
    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def client(handler_dynamodb_client: Any) -> Any:
    """The writer's production client (dal.clients), on moto."""
    return handler_dynamodb_client


def _writer(client: Any, sleep: SleepLog, **settings: Any) -> BatchWriter:
    return BatchWriter(
        client, PROCESSED_TABLE, WriteSettings(**settings), sleep=sleep, jitter=lambda: 1.0
    )


@pytest.mark.parametrize(("count", "calls"), [(0, 0), (1, 1), (25, 1), (26, 2), (1000, 40)])
def test_writes_everything_in_chunks_of_25(
    aws: RecordStreamAws, client: Any, count: int, calls: int
) -> None:
    with observe_calls(client, "dynamodb.BatchWriteItem") as log:
        result = _writer(client, SleepLog()).write(_items(count))
    assert (result.written, result.retried, result.failed_keys) == (count, 0, set())
    assert log.calls == calls
    assert len(aws.items()) == count


def test_chunks_are_written_concurrently_within_the_bound(
    aws: RecordStreamAws, client: Any
) -> None:
    # 20 ms per call makes overlap observable; 40 calls on 4 workers must overlap, never past 4.
    with observe_calls(client, "dynamodb.BatchWriteItem", latency_s=0.02) as log:
        result = _writer(client, SleepLog(), concurrency=4).write(_items(1000))
    assert result.written == 1000
    assert 1 < log.max_in_flight <= 4


def test_unprocessed_items_are_retried_until_written(aws: RecordStreamAws, client: Any) -> None:
    sleep = SleepLog()
    # Every odd item is left unprocessed on its first two attempts.
    with hold_back_items(
        client,
        PROCESSED_TABLE,
        lambda item, attempt: int(item["n"]["N"]) % 2 == 1 and attempt <= 2,
    ):
        result = _writer(client, sleep, backoff_base_ms=10, backoff_cap_ms=15).write(_items(50))
    assert result.failed_keys == set()
    assert result.written == 50
    assert result.retried == 25 * 2
    assert len(aws.items()) == 50
    # Two backoffs per chunk, exponential then capped (jitter pinned to its maximum).
    assert sorted(sleep.delays) == [0.01, 0.01, 0.015, 0.015]


def test_retries_are_bounded_and_the_rest_is_written(aws: RecordStreamAws, client: Any) -> None:
    stuck = {"00003", "00030"}
    with hold_back_items(
        client, PROCESSED_TABLE, lambda item, attempt: item["SK"]["S"] in stuck
    ) as log:
        result = _writer(client, SleepLog(), max_attempts=3).write(_items(60))
    assert result.failed_keys == {("b", "00003"), ("b", "00030")}
    assert result.written == 58
    assert result.retried == 2 * 2
    # 3 chunks; the two chunks with a stuck item make 3 attempts each.
    assert log.calls == 1 + 3 + 3
    assert set(aws.items()) == set(_items(60)) - result.failed_keys


def test_a_client_error_fails_only_its_chunk(aws: RecordStreamAws, client: Any) -> None:
    def chunk_with_key_00030(params: dict[str, Any]) -> bool:
        puts = params["RequestItems"][PROCESSED_TABLE]
        return any(p["PutRequest"]["Item"]["SK"]["S"] == "00030" for p in puts)

    with fail_calls(
        client,
        "dynamodb.BatchWriteItem",
        "ProvisionedThroughputExceededException",
        chunk_with_key_00030,
    ):
        result = _writer(client, SleepLog()).write(_items(60))
    assert result.failed_keys == {("b", f"{i:05d}") for i in range(25, 50)}
    assert result.written == 35
    assert len(aws.items()) == 35


def test_rewriting_is_idempotent(aws: RecordStreamAws, client: Any) -> None:
    writer = _writer(client, SleepLog())
    writer.write(_items(30))
    first = aws.items()
    writer.write(_items(30))
    assert aws.items() == first


def test_no_retry_starts_within_the_time_margin(aws: RecordStreamAws, client: Any) -> None:
    clock = Clock(left_s=7.0)
    writer = BatchWriter(
        client,
        PROCESSED_TABLE,
        WriteSettings(backoff_base_ms=2000, backoff_cap_ms=4000, retry_time_margin_ms=3000),
        sleep=clock.sleep,
        jitter=lambda: 1.0,
    )
    odd = lambda item, attempt: int(item["n"]["N"]) % 2 == 1  # noqa: E731 - always held back
    with hold_back_items(client, PROCESSED_TABLE, odd) as log:
        result = writer.write(_items(20), time_left=clock.time_left)
    # Attempt 1, sleep 2 s (5 s left > 3 s margin), attempt 2; then a 4 s backoff would leave
    # 1 s: no third attempt, the odd items are reported (6 attempts without the deadline).
    assert log.calls == 2
    assert clock.delays == [2.0]
    assert result.failed_keys == {key for key in _items(20) if int(key[1]) % 2 == 1}
    assert result.written == 10
    assert result.retried == 10


def test_first_attempts_go_even_with_no_time_left(aws: RecordStreamAws, client: Any) -> None:
    # Progress whatever the margin: every chunk is sent once; only retries are skipped.
    sleep = SleepLog()
    with hold_back_items(
        client, PROCESSED_TABLE, lambda item, attempt: item["SK"]["S"] == "00007"
    ) as log:
        result = _writer(client, sleep).write(_items(60), time_left=lambda: 0.0)
    assert log.calls == 3
    assert sleep.delays == []
    assert result.failed_keys == {("b", "00007")}
    assert len(aws.items()) == 59


def test_one_pool_of_threads_serves_every_write(aws: RecordStreamAws, client: Any) -> None:
    """Threads start once per writer (per container), not per invoke: three writes of 8 chunks
    on 4 workers are sent by 4 threads at most in all (a pool per write would start 12)."""
    senders: list[threading.Thread] = []  # the objects, not idents (the OS reuses those)

    def record_sender(**_: Any) -> None:
        senders.append(threading.current_thread())

    writer = _writer(client, SleepLog(), concurrency=4)
    with (
        observe_calls(client, "dynamodb.BatchWriteItem", latency_s=0.01),
        _registered_first(client, "before-send.dynamodb.BatchWriteItem", record_sender),
    ):
        for name in ("first", "second", "third"):
            writer.write(_items(200, name))
    assert len(senders) == 3 * 8
    assert 1 < len(set(senders)) <= 4
    assert len(aws.items()) == 600


@contextmanager
def _registered_first(client: Any, event: str, handler: Callable[..., None]) -> Iterator[None]:
    client.meta.events.register_first(event, handler)
    try:
        yield
    finally:
        client.meta.events.unregister(event, handler)
