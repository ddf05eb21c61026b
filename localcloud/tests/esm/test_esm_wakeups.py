"""Idle pollers are woken by writes, and a wake-up that never comes strands nothing.

The pollers here have a safety poll far longer than any test (``ASLEEP``): whatever they
deliver, they delivered because a write (or a due time) woke them. With a short safety poll
and no ring at all, what no request announces still arrives.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from tests.esm.esm_support import (
    FAST,
    Cloud,
    FunctionError,
    RecordingFunction,
    kinesis_data,
    mapping,
    wait_until,
)

from localcloud.esm.settings import PollerSettings
from localcloud.esm.supervisor import EventSourceMappingSupervisor
from localcloud.esm.wakeups import WakeupBoard
from localcloud.server import LocalCloudServer
from localcloud.specs import EventSourceMappingSpec, Invoker

REGION = "us-east-1"
# A safety poll no test outlives: delivery means a wake-up happened.
ASLEEP = replace(FAST, idle_poll_interval_s=3600.0, shard_discovery_interval_s=3600.0)

Start = Callable[..., EventSourceMappingSupervisor]


@pytest.fixture
def cloud(local_server: LocalCloudServer) -> Cloud:
    return Cloud(local_server.url, REGION)


@pytest.fixture
def start(local_server: LocalCloudServer) -> Iterator[Start]:
    started: list[EventSourceMappingSupervisor] = []

    def run(
        mappings: list[EventSourceMappingSpec],
        invoker: Invoker,
        settings: PollerSettings = ASLEEP,
        wakeups: WakeupBoard | None = None,
    ) -> EventSourceMappingSupervisor:
        supervisor = EventSourceMappingSupervisor(
            mappings,
            invoker,
            local_server.url,
            REGION,
            settings,
            wakeups=wakeups or local_server.wakeups,
        )
        supervisor.start()
        started.append(supervisor)
        return supervisor

    yield run
    for supervisor in started:
        supervisor.stop()


def _esm_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("esm-") and t.is_alive()}


def _idle(function: RecordingFunction, start: Start, spec: EventSourceMappingSpec) -> None:
    """Starts the mapping and lets its first reads find nothing."""
    before = _esm_threads()
    start([spec], function)
    wait_until(lambda: len(_esm_threads() - before) >= 1, what="poller threads")


def test_a_put_record_wakes_an_idle_shard_worker(cloud: Cloud, start: Start) -> None:
    name, arn = cloud.stream(shards=2)
    function = RecordingFunction()
    _idle(function, start, mapping("kinesis", arn))
    wait_until(lambda: len(_esm_threads()) >= 3, what="both shard workers")

    cloud.put(name, [("a", {"n": 1}), ("b", {"n": 2})])
    wait_until(lambda: function.record_count() == 2, what="the records, woken")
    assert sorted(kinesis_data(r)["n"] for b in function.batches for r in b) == [1, 2]


def test_a_table_write_wakes_its_stream_poller(cloud: Cloud, start: Start) -> None:
    table, stream_arn = cloud.table()
    function = RecordingFunction()
    _idle(function, start, mapping("dynamodb", stream_arn))

    cloud.dynamodb.put_item(TableName=table, Item={"pk": {"S": "woken"}})
    wait_until(lambda: function.record_count() == 1, what="the stream record, woken")
    assert function.batches[0][0]["dynamodb"]["Keys"] == {"pk": {"S": "woken"}}


def test_a_sent_message_wakes_every_idle_sqs_poller_it_needs(cloud: Cloud, start: Start) -> None:
    url, arn = cloud.queue()
    function = RecordingFunction()
    _idle(function, start, mapping("sqs", arn, maximum_concurrency=3))

    cloud.send(url, ["one", "two"])
    wait_until(lambda: function.record_count() == 2, what="the messages, woken")
    wait_until(lambda: cloud.depth(url) == 0, what="the messages deleted")


def test_a_backlog_wakes_the_other_sqs_pollers(cloud: Cloud, start: Start) -> None:
    """One poller waits for the queue; a full receive wakes the rest."""
    url, arn = cloud.queue()
    overlapped = threading.Event()

    def handler(_: dict[str, Any]) -> None:
        # Holds each invoke until a second one runs beside it (10 s each if none ever does).
        if function.in_flight >= 2:
            overlapped.set()
        overlapped.wait(10)

    function = RecordingFunction(handler)
    _idle(function, start, mapping("sqs", arn, maximum_concurrency=3))

    cloud.send(url, [f"m{i}" for i in range(40)])
    wait_until(lambda: function.record_count() == 40, timeout=30, what="the backlog")
    assert function.max_in_flight >= 2


def test_a_delayed_message_is_delivered_when_its_delay_ends(cloud: Cloud, start: Start) -> None:
    url, arn = cloud.queue()
    function = RecordingFunction()
    _idle(function, start, mapping("sqs", arn))

    cloud.sqs.send_message(QueueUrl=url, MessageBody="delayed", DelaySeconds=1)
    wait_until(lambda: function.record_count() == 1, what="the delayed message")


def test_a_failed_message_is_retried_when_its_visibility_timeout_ends(
    cloud: Cloud, start: Start
) -> None:
    url, arn = cloud.queue(VisibilityTimeout="1")
    attempts: list[str] = []

    def fail_once(event: dict[str, Any]) -> None:
        attempts.append(event["Records"][0]["messageId"])
        if len(attempts) == 1:
            raise FunctionError("first attempt fails")

    function = RecordingFunction(fail_once)
    _idle(function, start, mapping("sqs", arn))

    cloud.send(url, ["retried"])
    wait_until(lambda: len(attempts) == 2, what="the retry after the visibility timeout")
    assert attempts[0] == attempts[1]
    wait_until(lambda: cloud.depth(url) == 0, what="the retried message deleted")


def test_a_reshard_wakes_discovery_and_the_parent_hands_over_to_its_children(
    cloud: Cloud, start: Start
) -> None:
    # Only the hand-over: moto 5.2.5 files a put made after a reshard under the closed parent
    # (get_shard_for_key does not skip closed shards), so no record is put after it here.
    name, arn = cloud.stream(shards=1)
    function = RecordingFunction()
    spec = mapping("kinesis", arn)
    _idle(function, start, spec)
    cloud.put(name, [("k", {"n": "parent"})])
    wait_until(lambda: function.record_count() == 1, what="the parent's record")

    cloud.kinesis.update_shard_count(
        StreamName=name, TargetShardCount=2, ScalingType="UNIFORM_SCALING"
    )
    shards = cloud.kinesis.list_shards(StreamName=name)["Shards"]
    children = {s["ShardId"] for s in shards if s.get("ParentShardId")}
    workers = {f"esm-{spec.logical_id}-{shard}" for shard in children}
    assert len(children) == 2
    wait_until(
        lambda: workers <= {t.name for t in _esm_threads()},
        what="the children's workers, started once the parent drained",
    )


def test_a_message_moved_to_a_dead_letter_queue_is_not_stranded(cloud: Cloud, start: Start) -> None:
    """moto moves it during a receive on the source queue: no request names the DLQ."""
    _, dlq_arn = cloud.queue()
    url, arn = cloud.queue(
        VisibilityTimeout="1",
        RedrivePolicy=f'{{"deadLetterTargetArn": "{dlq_arn}", "maxReceiveCount": "1"}}',
    )

    def always_fail(_: dict[str, Any]) -> None:
        raise FunctionError("never succeeds")

    source, dead_letters = RecordingFunction(always_fail), RecordingFunction()
    safety_poll = replace(FAST, idle_poll_interval_s=0.2)
    start([mapping("sqs", arn)], source, safety_poll)
    start([replace(mapping("sqs", dlq_arn), logical_id="DlqMapping")], dead_letters, safety_poll)

    cloud.send(url, ["poison"])
    wait_until(lambda: dead_letters.record_count() == 1, what="the dead letter, by the safety poll")
    assert [r["body"] for b in dead_letters.batches for r in b] == ["poison"]


def test_records_nobody_announces_arrive_by_the_safety_poll(cloud: Cloud, start: Start) -> None:
    """A board the server never rings: every wake-up is missed."""
    name, arn = cloud.stream(shards=1)
    url, queue_arn = cloud.queue()
    function = RecordingFunction()
    start(
        [mapping("kinesis", arn), mapping("sqs", queue_arn)],
        function,
        replace(FAST, idle_poll_interval_s=0.2),
        WakeupBoard(),
    )

    cloud.put(name, [("k", {"n": 1})])
    cloud.send(url, ["m"])
    wait_until(lambda: function.record_count() == 2, what="both, by the safety poll")


def test_an_idle_sqs_mapping_long_polls_so_an_unannounced_message_is_not_left_waiting(
    cloud: Cloud, start: Start
) -> None:
    """By default each SQS mapping's first poller waits inside a moto long poll, which answers
    when a message lands, rung or not (the quicker path for POST /inbox -> GET /outbox)."""
    url, arn = cloud.queue()
    function = RecordingFunction()
    defaults_asleep = replace(PollerSettings(), idle_poll_interval_s=3600.0)
    start([mapping("sqs", arn, maximum_concurrency=3)], function, defaults_asleep, WakeupBoard())

    cloud.send(url, ["first"])  # found by the first receive; then the poller is idle
    wait_until(lambda: function.record_count() == 1, what="the first message")
    wait_until(lambda: cloud.depth(url) == 0, what="the first message deleted")

    cloud.send(url, ["unannounced"])
    wait_until(lambda: function.record_count() == 2, what="the message, by the long poll")
    assert [r["body"] for b in function.batches for r in b] == ["first", "unannounced"]


def test_stop_ends_idle_waits_however_long_the_safety_poll(cloud: Cloud, start: Start) -> None:
    _, stream_arn = cloud.stream(shards=1)
    _, queue_arn = cloud.queue()
    before = _esm_threads()
    supervisor = start(
        [mapping("kinesis", stream_arn), mapping("sqs", queue_arn)], RecordingFunction()
    )
    wait_until(lambda: len(_esm_threads() - before) == 4, what="discovery, worker, 2 pollers")

    supervisor.stop()
    assert _esm_threads() - before == set()
