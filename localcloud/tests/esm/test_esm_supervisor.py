"""The supervisor's lifecycle: disabled mappings, bad filters, and a quick, clean stop()."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import Any

import pytest
from tests.esm.esm_support import FAST, Cloud, RecordingFunction, mapping, wait_until

from localcloud.esm.settings import PollerSettings
from localcloud.esm.supervisor import EventSourceMappingSupervisor


def esm_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("esm-") and t.is_alive()]


# Every wait a poller could sit in while idle, except the SQS long poll, set to an hour: a stop()
# that waited out any of them (instead of waking the poller) would still be waiting at the guard.
HOUR = 3600.0
PATIENT = replace(
    PollerSettings(),
    idle_poll_interval_s=HOUR,
    shard_discovery_interval_s=HOUR,
    error_backoff_s=HOUR,
    error_backoff_max_s=HOUR,
    join_timeout_s=HOUR,
)
# Not a speed claim: 60x what a stop costs (one SQS long poll, 1 s) and 60x less than the waits
# above, so only a stop that sleeps out an idle wait ends here.
HANG_GUARD_S = 60.0


def test_stop_wakes_and_joins_every_poller_thread(cloud: Cloud, moto_endpoint: str) -> None:
    _, stream_arn = cloud.stream(shards=2)
    _, table_stream_arn = cloud.table()
    _, queue_arn = cloud.queue()
    mappings = [
        mapping("kinesis", stream_arn),
        mapping("dynamodb", table_stream_arn),
        mapping("sqs", queue_arn, maximum_concurrency=3),
    ]
    before = set(esm_threads())
    supervisor = EventSourceMappingSupervisor(
        mappings, RecordingFunction(), moto_endpoint, "us-east-1", PATIENT
    )
    supervisor.start()
    # 2 shard workers + 1 stream shard worker + 2 discovery threads + 3 SQS pollers.
    wait_until(lambda: len(set(esm_threads()) - before) == 8, what="all poller threads")

    stopping = threading.Thread(target=supervisor.stop, name="test-stop")
    stopping.start()
    stopping.join(HANG_GUARD_S)

    assert not stopping.is_alive(), "stop() sat out an idle wait instead of waking the pollers"
    assert set(esm_threads()) - before == set()


def test_disabled_mappings_are_not_polled(cloud: Cloud, start_mappings: Any) -> None:
    url, arn = cloud.queue()
    cloud.send(url, ["stays"])
    function = RecordingFunction()
    start_mappings([replace(mapping("sqs", arn), enabled=False)], function)
    time.sleep(0.5)

    assert function.events == []
    assert cloud.depth(url) == 1


def test_an_invalid_filter_pattern_is_rejected_up_front(moto_endpoint: str) -> None:
    bad = mapping("sqs", "arn:aws:sqs:us-east-1:123456789012:q", filter_patterns=('{"body": 1}',))
    with pytest.raises(Exception, match="must be an object or an array"):
        EventSourceMappingSupervisor([bad], RecordingFunction(), moto_endpoint, "us-east-1", FAST)


def test_a_saved_checkpoint_is_kept_until_its_mapping_runs_or_is_deleted(
    moto_endpoint: str,
) -> None:
    """A restored cloud's disabled mapping does not run, yet the next save must still hold its
    position, or a second restart would re-enable it at its StartingPosition."""
    saved = {"PausedMapping": {"shardId-000000000000": "49"}, "GoneMapping": {"shard": "7"}}
    supervisor = EventSourceMappingSupervisor(
        [], RecordingFunction(), moto_endpoint, "us-east-1", FAST, resume_from=saved
    )
    assert supervisor.checkpoints() == saved
    supervisor.forget("gone-uuid", "GoneMapping")
    assert supervisor.checkpoints() == {"PausedMapping": {"shardId-000000000000": "49"}}
