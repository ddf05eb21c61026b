"""The load tool reads listener items back by key (stackclient.load.wait_for_captured), on moto.

What the demo and bench.end_to_end rely on: every captured item comes back whole and once, keys
not written are counted missing, and items that land while it waits are found on a later poll.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import boto3
import pytest

from stackclient.load import wait_for_captured
from stackclient.streams import BATCH_GET_MAX_KEYS, batch_get_items
from tests.unit.record_stream.moto_resources import LISTENER_TABLE, RecordStreamAws

BATCH = "load-test"


def _ids(count: int) -> list[str]:
    return [f"{i:07d}" for i in range(count)]


def _write(table: Any, ids: list[str]) -> None:
    with table.batch_writer() as writer:
        for item_id in ids:
            writer.put_item(
                Item={
                    "PK": BATCH,
                    "SK": item_id,
                    "id": item_id,
                    "arrival_ms": 1,
                    "captured_ms": 2,
                }
            )


@pytest.fixture
def dynamodb(aws: RecordStreamAws) -> Any:
    return boto3.resource("dynamodb", region_name="us-east-1")


def _returned_keys(dynamodb: Any) -> Counter[str]:
    """SKs of every item a BatchGetItem answer carried, counted, from botocore's own events."""
    returned: Counter[str] = Counter()

    def count(parsed: dict[str, Any], **_: Any) -> None:
        for item in parsed.get("Responses", {}).get(LISTENER_TABLE, []):
            returned[item["SK"]["S"]] += 1

    dynamodb.meta.client.meta.events.register("after-call.dynamodb.BatchGetItem", count)
    return returned


def test_batch_get_items_returns_the_existing_items_over_several_requests(dynamodb: Any) -> None:
    ids = _ids(2 * BATCH_GET_MAX_KEYS + 50)
    written = ids[::2]
    _write(dynamodb.Table(LISTENER_TABLE), written)

    items = batch_get_items(dynamodb, LISTENER_TABLE, [(BATCH, i) for i in ids])

    assert sorted(str(item["SK"]) for item in items) == written
    assert all(item["captured_ms"] == 2 and item["PK"] == BATCH for item in items)


def test_every_captured_item_is_found_and_read_once(dynamodb: Any) -> None:
    ids = _ids(450)
    _write(dynamodb.Table(LISTENER_TABLE), ids)
    returned = _returned_keys(dynamodb)
    progress: list[int] = []

    items = wait_for_captured(
        dynamodb,
        LISTENER_TABLE,
        BATCH,
        ids,
        deadline=time.monotonic() + 60,
        on_captured=progress.append,
    )

    assert sorted(str(item["id"]) for item in items) == ids
    assert sum(progress) == len(ids)
    assert set(returned.values()) == {1}


def test_items_that_land_while_waiting_are_found_on_later_polls(dynamodb: Any) -> None:
    table = dynamodb.Table(LISTENER_TABLE)
    ids = _ids(600)
    # Out of order, as several shards deliver: each poll writes the next slice of the batch.
    slices = [ids[300:400] + ids[0:50], ids[50:300], ids[400:600]]
    _write(table, slices.pop(0))
    returned = _returned_keys(dynamodb)
    progress: list[int] = []

    def next_slice(captured: int) -> None:
        progress.append(captured)
        if slices:
            _write(table, slices.pop(0))

    items = wait_for_captured(
        dynamodb,
        LISTENER_TABLE,
        BATCH,
        ids,
        deadline=time.monotonic() + 60,
        on_captured=next_slice,
    )

    assert sorted(str(item["id"]) for item in items) == ids
    assert sum(progress) == len(ids)
    assert len(progress) > 1
    assert set(returned.values()) == {1}


def test_at_the_deadline_every_missing_key_is_asked_and_counted(dynamodb: Any) -> None:
    ids = _ids(500)
    # A gap of 200 the polls stop at; the keys past it must still be counted.
    present = ids[:50] + ids[250:300] + ids[450:]
    _write(dynamodb.Table(LISTENER_TABLE), present)
    progress: list[int] = []

    items = wait_for_captured(
        dynamodb,
        LISTENER_TABLE,
        BATCH,
        ids,
        deadline=time.monotonic() + 0.5,
        on_captured=progress.append,
    )

    assert sorted(str(item["id"]) for item in items) == present
    assert sum(progress) == len(present)
