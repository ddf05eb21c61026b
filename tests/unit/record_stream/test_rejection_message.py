"""Pure body of a rejected-records message and how messages are packed into calls."""

from __future__ import annotations

import base64
import json

import pytest

from record_stream.dal.rejected_queue import pack_messages
from record_stream.logic.kinesis_records import RejectedRecord
from record_stream.logic.record_payload import RejectReason
from record_stream.logic.rejection_message import MAX_MESSAGE_BYTES, rejection_message


def _rejected(data_base64: str) -> RejectedRecord:
    return RejectedRecord(
        reason=RejectReason.INVALID_JSON,
        detail="data is not JSON: Expecting value",
        data_base64=data_base64,
        shard_id="shardId-000000000001",
        sequence_number="4960",
        partition_key="pk-é",
        event_source_arn="arn:aws:kinesis:us-east-1:123456789012:stream/s",
        arrival_ms=1767225600000,
    )


def test_body_holds_reason_data_and_provenance() -> None:
    body = json.loads(rejection_message(_rejected(base64.b64encode(b"nope").decode())))
    assert body == {
        "reason": "invalid_json",
        "detail": "data is not JSON: Expecting value",
        "shard_id": "shardId-000000000001",
        "sequence_number": "4960",
        "partition_key": "pk-é",
        "event_source_arn": "arn:aws:kinesis:us-east-1:123456789012:stream/s",
        "arrival_ms": 1767225600000,
        "data_truncated": False,
        "data_base64": base64.b64encode(b"nope").decode(),
    }


@pytest.mark.parametrize("raw_size", [300_000, 1_048_000])
def test_oversized_data_is_truncated_to_a_decodable_prefix(raw_size: int) -> None:
    data = bytes(range(256)) * (raw_size // 256)
    text = rejection_message(_rejected(base64.b64encode(data).decode()))
    body = json.loads(text)
    assert len(text.encode()) <= MAX_MESSAGE_BYTES
    assert body["data_truncated"] is True
    prefix = base64.b64decode(body["data_base64"], validate=True)
    assert data.startswith(prefix)
    assert len(prefix) > MAX_MESSAGE_BYTES // 2


def test_non_ascii_raw_data_still_fits() -> None:
    text = rejection_message(_rejected("é" * 200_000))
    assert len(text.encode()) <= MAX_MESSAGE_BYTES
    assert text.isascii()


@pytest.mark.parametrize(
    ("sizes", "max_entries", "max_bytes", "expected"),
    [
        ([1] * 23, 10, 1000, [list(range(10)), list(range(10, 20)), [20, 21, 22]]),
        ([400, 400, 400, 100], 10, 1000, [[0, 1], [2, 3]]),
        ([1000, 1], 10, 1000, [[0], [1]]),
        ([], 10, 1000, []),
    ],
)
def test_pack_messages_respects_count_and_size(
    sizes: list[int], max_entries: int, max_bytes: int, expected: list[list[int]]
) -> None:
    assert pack_messages(["x" * size for size in sizes], max_entries, max_bytes) == expected
