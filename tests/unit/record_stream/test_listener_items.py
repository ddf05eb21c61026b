"""Pure shape of the listener item built from a processed item's stream image."""

from __future__ import annotations

from decimal import Decimal

import pytest

from record_stream.dal.item_attributes import listener_item_attributes
from record_stream.logic.listener_items import (
    LISTENER_TTL_SECONDS,
    ListenerItem,
    SkippedRecord,
    listener_batch,
    listener_item,
)
from tests.unit.record_stream.moto_resources import load_event


def test_copies_key_and_timings_and_sets_ttl() -> None:
    image = {
        "PK": "b",
        "SK": "i",
        "arrival_ms": Decimal(1000),
        "processed_ms": Decimal(1180),
        "shard_id": "s",
    }
    item = listener_item(image, captured_ms=5_000_123)
    assert item == ListenerItem(
        batch="b",
        id="i",
        arrival_ms=1000,
        processed_ms=1180,
        captured_ms=5_000_123,
        expires_at=5_000 + LISTENER_TTL_SECONDS,
    )
    assert LISTENER_TTL_SECONDS == 86_400


@pytest.mark.parametrize(
    "image", [{}, {"PK": "b"}, {"SK": "i"}, {"PK": "", "SK": "i"}, {"PK": 1, "SK": "i"}]
)
def test_image_without_key_is_not_captured(image: dict[str, object]) -> None:
    assert listener_item(image, captured_ms=1) is None


def test_attribute_values_of_captured_item() -> None:
    item = ListenerItem(
        batch="b", id="i", arrival_ms=1, processed_ms=None, captured_ms=3, expires_at=4
    )
    assert listener_item_attributes(item) == {
        "PK": {"S": "b"},
        "SK": {"S": "i"},
        "batch": {"S": "b"},
        "id": {"S": "i"},
        "arrival_ms": {"N": "1"},
        "captured_ms": {"N": "3"},
        "expires_at": {"N": "4"},
    }


def test_odd_stream_records_are_skipped_with_where_not_what() -> None:
    event = load_event("dynamodb-stream-listener.json")
    secret = "card 4111 1111 1111 1111"
    odd = event["Records"][1]
    odd["dynamodb"]["NewImage"]["note"] = {"S": secret}
    odd["dynamodb"]["StreamViewType"] = secret
    no_key = event["Records"][2]
    del no_key["dynamodb"]["NewImage"]["PK"]

    batch = listener_batch(event["Records"], captured_ms=1)

    assert [key for key, _, _ in batch.captured] == [
        ("batch-0001", "batch-0001-00000"),
        ("batch-0001", "batch-0001-00000"),
    ]
    assert batch.skipped == [
        SkippedRecord(
            odd["eventID"], "invalid_record", ("dynamodb.StreamViewType: literal_error",)
        ),
        SkippedRecord(no_key["eventID"], "no_usable_image"),
    ]
    assert secret not in repr(batch.skipped)
