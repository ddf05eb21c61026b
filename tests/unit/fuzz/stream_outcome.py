"""What a Kinesis batch must leave behind, checked against the table and the rejected queue.

Every valid record's key is one item carrying the sequence number of the key's last record;
every invalid record is one rejected-records message with a reason and its exact data; nothing
else was written. The counts feed the run's summary line.
"""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from typing import Any

from record_stream.logic.record_payload import RejectReason
from record_stream.logic.rejection_message import MAX_MESSAGE_BYTES
from tests.unit.fuzz.kinesis_cases import DataCase, ItemKey, sequence_number
from tests.unit.fuzz.stream_account import StreamAccount
from tests.unit.fuzz.tally import ScenarioTally

_REASONS = {reason.value for reason in RejectReason}


def expected_items(cases: list[DataCase], records: list[dict[str, Any]]) -> dict[ItemKey, str]:
    """Key -> sequence number of its last record (the newest record of a key wins)."""
    expected: dict[ItemKey, str] = {}
    for case, record in zip(cases, records, strict=True):
        if case.key is not None:
            expected[case.key] = sequence_number(record)
    return expected


def expected_rejections(
    cases: list[DataCase], records: list[dict[str, Any]]
) -> dict[str, DataCase]:
    return {
        sequence_number(record): case
        for case, record in zip(cases, records, strict=True)
        if case.key is None
    }


def tally_outcome(
    account: StreamAccount,
    cases: list[DataCase],
    records: list[dict[str, Any]],
    *,
    redelivery_allowed: bool = False,
) -> tuple[ScenarioTally, dict[str, list[dict[str, Any]]]]:
    """Counts of the final state, and the rejected messages by sequence number."""
    counts = account.item_counts()
    rejected: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for message in account.rejected_messages():
        rejected[message["sequence_number"]].append(message)
    invalid = expected_rejections(cases, records)
    copies = sum(len(messages) - 1 for messages in rejected.values())
    outcome = ScenarioTally(
        examples=1,
        sent=len(cases),
        written=sum(1 for case in cases if case.key is not None and case.key in counts),
        items=len(counts),
        dead_lettered=sum(1 for number in invalid if number in rejected),
        lost=sum(1 for case in cases if case.key is not None and case.key not in counts)
        + sum(1 for number in invalid if number not in rejected),
        duplicated=sum(count - 1 for count in counts.values())
        + (0 if redelivery_allowed else copies),
        redelivered=copies if redelivery_allowed else 0,
    )
    return outcome, rejected


def assert_outcome(
    account: StreamAccount,
    cases: list[DataCase],
    records: list[dict[str, Any]],
    rejected: dict[str, list[dict[str, Any]]],
) -> None:
    """The table and the rejected queue hold exactly what the batch must produce."""
    expected = expected_items(cases, records)
    counts = account.item_counts()
    assert set(counts) == set(expected), "items differ from the batch's valid keys"
    assert all(count == 1 for count in counts.values())
    items = account.items()
    for key, number in expected.items():
        assert items[key]["sequence_number"] == {"S": number}, "the last record must win"

    invalid = expected_rejections(cases, records)
    assert set(rejected) == set(invalid), "rejections differ from the batch's invalid records"
    for number, messages in rejected.items():
        # Copies (a retry sending a rejection again) must be the same message.
        assert all(message == messages[0] for message in messages)
        _assert_rejection(messages[0], invalid[number])


def _assert_rejection(message: dict[str, Any], case: DataCase) -> None:
    assert message["reason"] in _REASONS
    if case.reason is not None:
        assert message["reason"] == case.reason, case.kind
    assert isinstance(message["detail"], str)
    assert message["detail"]
    full = base64.b64encode(case.data).decode("ascii")
    kept = message["data_base64"]
    if message["data_truncated"]:
        # Only data too large for one SQS message is cut ("false" is one character longer than
        # "true", hence >=), in whole base64 quanta.
        assert len(json.dumps({**message, "data_base64": full})) >= MAX_MESSAGE_BYTES
        assert full.startswith(kept)
        assert len(kept) % 4 == 0
        assert case.data.startswith(base64.b64decode(kept, validate=True))
        assert len(json.dumps(message)) <= MAX_MESSAGE_BYTES
    else:
        assert base64.b64decode(kept, validate=True) == case.data
