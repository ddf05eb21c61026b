"""Fuzzing RecordProcessorFunction: arbitrary record data mixed with valid records, on moto.

Property 1: without faults the handler returns no failures, every valid key is one item, every
invalid record one rejected-records message with its reason and exact data, nothing else.
Property 2: with transient write and queue faults, retrying as Lambda does (from the lowest
reported sequence number, or the whole batch when the handler raises) ends in the same state as
a run without faults: nothing lost, no duplicate items.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from record_stream.dal import clients
from record_stream.settings import processor_settings
from tests.unit.fuzz import tally
from tests.unit.fuzz.conftest import Cloud
from tests.unit.fuzz.kinesis_cases import DataCase, ItemKey, batches, kinesis_event
from tests.unit.fuzz.stream_account import fresh_stream_account, invoke, retry_like_lambda
from tests.unit.fuzz.stream_outcome import assert_outcome, tally_outcome
from tests.unit.record_stream.stream_faults import fail_calls, fail_entries, hold_back_items

AWS_BACKED = settings(
    max_examples=35,
    deadline=None,
    # Big generated batches (boundary-length keys, oversized data) are the point here.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@AWS_BACKED
@given(cases=batches())
def test_every_record_is_written_once_or_rejected_with_its_data(
    cloud: Cloud, cases: list[DataCase]
) -> None:
    event = kinesis_event(cases)
    records = list(event["Records"])
    with fresh_stream_account(cloud) as account:
        response = invoke(event)
        outcome, rejected = tally_outcome(account, cases, records)
        outcome.invocations = 1
        tally.record("record-stream", outcome)

        assert response == {"batchItemFailures": []}
        assert (outcome.lost, outcome.duplicated) == (0, 0)
        assert all(len(messages) == 1 for messages in rejected.values())
        assert_outcome(account, cases, records, rejected)


@dataclass(frozen=True)
class FaultPlan:
    """Transient faults, each ending after a number of attempts or invocations."""

    held_puts: dict[ItemKey, int]  # the first n puts of a key come back in UnprocessedItems
    failing_keys: dict[ItemKey, int]  # calls holding the key fail while invocation <= n
    refused: dict[int, int]  # rejection of record i is refused by SQS while invocation <= n


@st.composite
def faulty_batches(draw: st.DrawFn) -> tuple[list[DataCase], FaultPlan]:
    cases = draw(batches(oversized=False))
    valid_keys = sorted({case.key for case in cases if case.key is not None})
    invalid = [index for index, case in enumerate(cases) if case.key is None]

    def some(items: list[Any], most: int) -> dict[Any, int]:
        chosen = draw(st.lists(st.sampled_from(items), unique=True)) if items else []
        return {item: draw(st.integers(1, most)) for item in chosen}

    # The writer tries a put 6 times per invocation (WRITE_MAX_ATTEMPTS), so up to 8 held puts
    # sometimes outlast an invocation and sometimes not.
    plan = FaultPlan(
        held_puts=some(valid_keys, 8),
        failing_keys=some(valid_keys, 2),
        refused=some(invalid, 2),
    )
    return cases, plan


@AWS_BACKED
@given(batch_and_faults=faulty_batches())
def test_transient_faults_end_in_the_fault_free_state(
    cloud: Cloud, batch_and_faults: tuple[list[DataCase], FaultPlan]
) -> None:
    cases, plan = batch_and_faults
    event = kinesis_event(cases)
    records = list(event["Records"])
    index_of_sequence = {
        record["kinesis"]["sequenceNumber"]: index for index, record in enumerate(records)
    }

    with fresh_stream_account(cloud) as reference:
        assert invoke(kinesis_event(cases)) == {"batchItemFailures": []}
        reference_items = _without_processed_ms(reference.items())
        _, reference_rejected = tally_outcome(reference, cases, records)

    with fresh_stream_account(cloud) as account:
        invocation = _Invocation()
        dynamodb = clients.dynamodb_client(processor_settings().write.concurrency)

        def chunk_fails(params: dict[str, Any]) -> bool:
            puts: list[dict[str, Any]] = next(iter(params["RequestItems"].values()), [])
            keys = {
                (p["PutRequest"]["Item"]["PK"]["S"], p["PutRequest"]["Item"]["SK"]["S"])
                for p in puts
            }
            return any(invocation.number <= plan.failing_keys.get(key, 0) for key in keys)

        def held(item: dict[str, Any], attempt: int) -> bool:
            return attempt <= plan.held_puts.get((item["PK"]["S"], item["SK"]["S"]), 0)

        def refused(entry: dict[str, Any]) -> bool:
            body_sequence = _body_sequence_number(entry["MessageBody"])
            index = index_of_sequence[body_sequence]
            return invocation.number <= plan.refused.get(index, 0)

        with (
            fail_calls(dynamodb, "dynamodb.BatchWriteItem", "InternalServerError", chunk_fails),
            hold_back_items(dynamodb, account.table, held),
            fail_entries(clients.sqs_client(), refused),
        ):
            log = retry_like_lambda(records, invocation.start)

        outcome, rejected = tally_outcome(account, cases, records, redelivery_allowed=True)
        outcome.invocations = log.invocations
        tally.record("record-stream with transient faults", outcome)

        assert (outcome.lost, outcome.duplicated) == (0, 0)
        assert_outcome(account, cases, records, rejected)
        assert _without_processed_ms(account.items()) == reference_items
        assert {number: messages[0] for number, messages in rejected.items()} == {
            number: messages[0] for number, messages in reference_rejected.items()
        }


class _Invocation:
    """The number of the invocation in progress (fault decisions depend on it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.number = 0

    def start(self, number: int) -> None:
        with self._lock:
            self.number = number


def _body_sequence_number(body: str) -> str:
    number: str = json.loads(body)["sequence_number"]
    return number


def _without_processed_ms(
    items: dict[ItemKey, dict[str, Any]],
) -> dict[ItemKey, dict[str, Any]]:
    # processed_ms is when the item was last written: a retry legitimately moves it forward.
    return {
        key: {k: v for k, v in item.items() if k != "processed_ms"} for key, item in items.items()
    }
