"""No record, however shaped, stops a poller; a poller that keeps failing backs off and says so.

Against a real moto server: a record nested 12,000 deep (valid JSON that Python's parser
refuses with RecursionError) among 100 valid neighbours, with and without FilterCriteria, on
Kinesis and SQS; and a queue deleted under its poller.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from typing import Any

import pytest
from tests.esm.esm_support import Cloud, RecordingFunction, mapping, wait_until

from localcloud.cli.status import poller_lines
from localcloud.esm.filters import RecordFilter, decode_kinesis_data, parse_json_object
from localcloud.server import LocalCloudServer

DEPTH = 12_000
DEEP = ("[" * DEPTH + "]" * DEPTH).encode()  # 24 KB of valid JSON, 12,000 levels deep
NEIGHBOURS = 100
ON_DATA = '{"data": {"kind": ["ok"]}}'
ON_BODY = '{"body": {"kind": ["ok"]}}'


def _neighbour(n: int) -> dict[str, Any]:
    return {"kind": "ok", "n": n}


def _kinesis_ns(function: RecordingFunction) -> list[int | None]:
    """The neighbours' numbers in delivery order; None for the deep record."""
    found: list[int | None] = []
    for batch in function.batches:
        for record in batch:
            data = base64.b64decode(record["kinesis"]["data"])
            found.append(None if data == DEEP else json.loads(data)["n"])
    return found


def test_deep_json_is_matched_as_non_json_not_an_error() -> None:
    with pytest.raises(RecursionError):
        json.loads(DEEP)  # what stalled the shard
    assert parse_json_object(DEEP.decode()) == DEEP.decode()
    view = {"partitionKey": "p", "data": decode_kinesis_data(base64.b64encode(DEEP).decode())}
    assert not RecordFilter([ON_DATA]).matches(view)
    assert RecordFilter(['{"partitionKey": ["p"]}']).matches(view)


def test_a_failing_filter_evaluation_drops_only_that_record(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken_view() -> dict[str, Any]:
        raise RecursionError("maximum recursion depth exceeded")

    record_filter = RecordFilter([ON_DATA])
    with caplog.at_level(logging.WARNING, logger="localcloud.esm.filters"):
        assert not record_filter.admits(broken_view, "M shard-1 record 42")
    assert "M shard-1 record 42: filter evaluation failed (RecursionError" in caplog.text
    # Without patterns nothing is evaluated at all: the view is never built.
    assert RecordFilter([]).admits(broken_view, "M shard-1 record 43")


@pytest.mark.parametrize("patterns", [(), (ON_DATA,)], ids=["no-filters", "filter-on-data"])
def test_a_deep_kinesis_record_never_stalls_its_shard(
    cloud: Cloud, start_mappings: Any, patterns: tuple[str, ...]
) -> None:
    name, arn = cloud.stream(shards=1)
    half = NEIGHBOURS // 2
    cloud.put(name, [("pk", _neighbour(n)) for n in range(half)])
    cloud.put(name, [("pk", DEEP)])
    cloud.put(name, [("pk", _neighbour(n)) for n in range(half, NEIGHBOURS)])
    function = RecordingFunction()
    supervisor = start_mappings([mapping("kinesis", arn, filter_patterns=patterns)], function)

    expected = NEIGHBOURS + (0 if patterns else 1)  # a filter on data drops the non-JSON record
    wait_until(lambda: function.record_count() >= expected, timeout=20, what="all neighbours")
    time.sleep(0.2)

    found = _kinesis_ns(function)
    assert [n for n in found if n is not None] == list(range(NEIGHBOURS))
    assert found.count(None) == (0 if patterns else 1)
    assert all(entry["consecutive_failures"] == 0 for entry in supervisor.health())


@pytest.mark.parametrize("patterns", [(), (ON_BODY,)], ids=["no-filters", "filter-on-body"])
def test_a_deep_sqs_message_never_stalls_its_queue(
    cloud: Cloud, start_mappings: Any, patterns: tuple[str, ...]
) -> None:
    url, arn = cloud.queue()
    bodies = [json.dumps(_neighbour(n)) for n in range(NEIGHBOURS)]
    cloud.send(url, [*bodies[:50], DEEP.decode(), *bodies[50:]])
    function = RecordingFunction()
    start_mappings([mapping("sqs", arn, filter_patterns=patterns)], function)

    expected = NEIGHBOURS + (0 if patterns else 1)
    wait_until(lambda: function.record_count() >= expected, timeout=20, what="all neighbours")
    wait_until(lambda: cloud.depth(url) == 0, what="every message deleted")

    received = [r["body"] for batch in function.batches for r in batch]
    # SQS delivers at least once: under load one message was seen twice (1 run in ~4), which
    # is SQS's contract, not a stall. What must hold: every neighbour delivered, and the deep
    # message delivered exactly when no filter is set.
    assert {json.loads(b)["n"] for b in received if b != DEEP.decode()} == set(range(NEIGHBOURS))
    assert (DEEP.decode() in received) == (not patterns)


def test_a_poller_that_keeps_failing_backs_off_and_shows_it(
    cloud: Cloud, start_mappings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    url, arn = cloud.queue()
    function = RecordingFunction()
    with caplog.at_level(logging.ERROR, logger="localcloud.esm.health"):
        supervisor = start_mappings([mapping("sqs", arn, maximum_concurrency=1)], function)
        cloud.send(url, ["before"])
        wait_until(lambda: function.record_count() == 1, what="the first message")
        cloud.sqs.delete_queue(QueueUrl=url)

        wait_until(
            lambda: _queue_health(supervisor)["consecutive_failures"] >= 5,
            timeout=15,
            what="five failures in a row",
        )
    health = _queue_health(supervisor)
    assert health["state"] == "backing off"
    shown = _status_lines(supervisor)
    assert len(shown) == 1
    assert "SqsMapping poller 0  BACKING OFF: " in shown[0]
    assert "NonExistentQueue" in shown[0]
    assert "NonExistentQueue" in health["last_error"]
    # FAST: 0.1 s doubling to its 0.4 s cap.
    assert health["retry_in_s"] == pytest.approx(0.4)
    failures = [r.getMessage() for r in caplog.records if "in a row" in r.getMessage()]
    assert len(failures) >= 5
    assert "failure 1 in a row; next try in 0.1 s" in failures[0]
    assert "failure 2 in a row; next try in 0.2 s" in failures[1]
    # One poller thread (MaximumConcurrency 1 here): at most one try per 0.4 s once capped.
    started = time.monotonic()
    before = _queue_health(supervisor)["total_failures"]
    time.sleep(1.2)
    tries = _queue_health(supervisor)["total_failures"] - before
    elapsed = time.monotonic() - started
    assert tries <= elapsed / 0.4 + 2, f"{tries} failures in {elapsed:.1f} s: not backing off"

    cloud.sqs.create_queue(QueueName=url.rsplit("/", 1)[1])
    wait_until(lambda: _queue_health(supervisor)["state"] == "ok", what="recovery")
    assert _queue_health(supervisor)["retry_in_s"] is None


def _status_lines(supervisor: Any) -> list[str]:
    """What `localcloud status` prints for these pollers, through the server's endpoint."""
    server = LocalCloudServer(port=0)
    server.start()
    try:
        server.set_poller_health(supervisor.health)
        return poller_lines(server.url)
    finally:
        server.stop()


def _queue_health(supervisor: Any) -> dict[str, Any]:
    (entry,) = supervisor.health()
    return dict(entry)
