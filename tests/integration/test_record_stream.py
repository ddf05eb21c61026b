"""Record stream, end to end: Kinesis put_records -> RecordProcessor -> processed table.

Event-listener pattern: the listener harness copies every processed item into the listener
table; each test owns a unique ``batch`` and long-polls it until all its ids arrived.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from stackclient.polling import wait_until
from stackclient.queues import take_matching
from stackclient.stack import Stack
from stackclient.streams import batch_items, percentile, put_records

# (name, number of records, padding bytes per record). 1500 is above the ESM BatchSize (1000),
# so the mapping has to deliver the test batch in more than one invoke.
CASES = [
    ("single", 1, 0),
    ("typical", 100, 0),
    ("above-esm-batch-size", 1500, 0),
    ("large-records", 8, 400_000),
]


def _record(batch: str, index: int, padding: int) -> tuple[bytes, str]:
    body: dict[str, Any] = {"batch": batch, "id": f"{index:06d}"}
    if padding:
        body["padding"] = "p" * padding
    return json.dumps(body).encode(), f"{batch}-{index}"


@pytest.mark.parametrize(("name", "count", "padding"), CASES, ids=[c[0] for c in CASES])
def test_every_record_arrives_exactly_once(
    name: str,
    count: int,
    padding: int,
    stack: Stack,
    kinesis: Any,
    dynamodb: Any,
    unique: str,
    sla_s: float,
    record_property: Any,
) -> None:
    listener = dynamodb.Table(stack.output("ListenerTableName"))
    expected = {f"{i:06d}" for i in range(count)}

    put_records(
        kinesis,
        stack.output("RecordsStreamName"),
        [_record(unique, i, padding) for i in range(count)],
    )

    items = wait_until(
        lambda: batch_items(listener, unique),
        lambda found: len(found) >= count,
        description=f"{count} records of batch {unique} in the listener table",
        timeout_s=sla_s,
    )

    # Exactly the ids sent: nothing missing, nothing extra (a mangled key would be an extra item).
    assert len(items) == count
    assert {item["id"] for item in items} == expected
    latencies = [float(item["captured_ms"] - item["arrival_ms"]) for item in items]
    assert all(latency >= 0 for latency in latencies)
    record_property(
        "latency",
        f"record stream {name:>22}: {count:5d} records, arrival->captured "
        f"p50 {percentile(latencies, 50):7.0f} ms, p90 {percentile(latencies, 90):7.0f} ms, "
        f"p99 {percentile(latencies, 99):7.0f} ms",
    )


def _rejected_is_ours(token: str) -> Callable[[dict[str, Any]], bool]:
    def is_ours(message: dict[str, Any]) -> bool:
        body = json.loads(message["Body"])
        return token.encode() in base64.b64decode(body["data_base64"])

    return is_ours


def test_malformed_records_go_to_the_rejected_queue_and_neighbours_are_written(
    stack: Stack, kinesis: Any, dynamodb: Any, sqs: Any, unique: str, sla_s: float
) -> None:
    listener = dynamodb.Table(stack.output("ListenerTableName"))
    valid = [_record(unique, i, 0) for i in range(20)]
    invalid = [
        (f"not json {unique}".encode(), "bad-1"),
        (b"\xff\xfe\xfa" + unique.encode(), "bad-2"),
        (json.dumps({"batch": unique}).encode(), "bad-3"),
        (json.dumps({"batch": unique, "id": ""}).encode(), "bad-4"),
        (json.dumps({"batch": unique, "id": 7}).encode(), "bad-5"),
        (json.dumps({"batch": unique, "id": "x" * 1100}).encode(), "bad-6"),
        (json.dumps([unique]).encode(), "bad-7"),
        # What Python's parser refuses, or reads but JSON has not (issue #12): each once made
        # the whole batch fail, retry and end in OnFailure without a reason; the record nested
        # 12,000 deep also stopped the local Kinesis poller's shard (issue #13).
        (f'{{"batch":"{unique}","id":"bad-8","n":{"1" * 4301}}}'.encode(), "bad-8"),
        (f'{{"batch":"{unique}","id":"bad-9","n":NaN}}'.encode(), "bad-9"),
        (f'{{"batch":"{unique}","id":"'.encode() + b'\xed\xa0\x80"}', "bad-10"),  # a raw surrogate
        (
            f'{{"batch":"{unique}","id":"bad-11","n":'.encode()
            + b"[" * 12_000
            + b"]" * 12_000
            + b"}",
            "bad-11",
        ),
    ]
    mixed = valid[:10] + invalid + valid[10:]

    put_records(kinesis, stack.output("RecordsStreamName"), mixed)

    items = wait_until(
        lambda: batch_items(listener, unique),
        lambda found: len(found) >= len(valid),
        description=f"valid records of batch {unique} in the listener table",
        timeout_s=sla_s,
    )
    assert {item["id"] for item in items} == {f"{i:06d}" for i in range(20)}

    rejected = take_matching(
        sqs,
        stack.output("RejectedRecordsQueueUrl"),
        _rejected_is_ours(unique),
        expected=len(invalid),
        timeout_s=sla_s,
    )
    assert len(rejected) == len(invalid)
    bodies = [json.loads(m["Body"]) for m in rejected]
    assert {base64.b64decode(b["data_base64"]) for b in bodies} == {data for data, _ in invalid}
    for body in bodies:
        assert body["reason"], body
        assert body["sequence_number"], body
