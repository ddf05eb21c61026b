"""The listener-table items (test harness) built from the processed table's stream records.

Each stream record is parsed on its own with the Powertools Parser model
``DynamoDBStreamRecordModel``, so one odd record is skipped with its reason instead of failing
the whole batch (a Parser envelope over the whole event would reject every record for it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from aws_lambda_powertools.utilities.parser.models import DynamoDBStreamRecordModel
from pydantic import ValidationError

from record_stream.logic.pending_writes import ItemKey

LISTENER_TTL_SECONDS = 24 * 60 * 60
"""Listener items expire a day after capture (DynamoDB TTL on expires_at)."""


@dataclass(frozen=True, slots=True)
class ListenerItem:
    batch: str
    id: str
    arrival_ms: int | None
    processed_ms: int | None
    captured_ms: int
    expires_at: int


@dataclass(frozen=True, slots=True)
class SkippedRecord:
    """A stream record with nothing to capture; retrying it cannot change that."""

    event_id: str | None
    reason: str  # "invalid_record" or "no_usable_image"
    problems: tuple[str, ...] = ()  # where the record is malformed, never its values


@dataclass(frozen=True, slots=True)
class ListenerBatch:
    captured: list[tuple[ItemKey, ListenerItem, str]] = field(default_factory=list)
    """(key, item, stream sequence number) in arrival order."""
    skipped: list[SkippedRecord] = field(default_factory=list)


def listener_item(new_image: Mapping[str, Any], captured_ms: int) -> ListenerItem | None:
    """Copy key and timings from a deserialized NewImage; None if it has no usable key."""
    batch, item_id = new_image.get("PK"), new_image.get("SK")
    if not isinstance(batch, str) or not isinstance(item_id, str) or not batch or not item_id:
        return None
    return ListenerItem(
        batch=batch,
        id=item_id,
        arrival_ms=_as_int(new_image.get("arrival_ms")),
        processed_ms=_as_int(new_image.get("processed_ms")),
        captured_ms=captured_ms,
        expires_at=captured_ms // 1000 + LISTENER_TTL_SECONDS,
    )


def listener_batch(raw_records: Sequence[Any], captured_ms: int) -> ListenerBatch:
    """Raw DynamoDB stream records (event["Records"]) -> items to write and records skipped."""
    batch = ListenerBatch()
    for raw in raw_records:
        try:
            record = DynamoDBStreamRecordModel.model_validate(raw)
        except ValidationError as error:
            problems = tuple(f"{_location(e['loc'])}: {e['type']}" for e in error.errors())
            batch.skipped.append(SkippedRecord(_event_id(raw), "invalid_record", problems))
            continue
        except Exception as error:
            # The model's validators run Powertools' TypeDeserializer on the images, and what it
            # raises (TypeError for an unknown attribute type, decimal.InvalidOperation for a bad
            # number, AttributeError for an image that is not a map) escapes pydantic's
            # ValidationError. Only the exception's type is kept: its text may quote the data.
            problem = f"dynamodb images: {type(error).__name__}"
            batch.skipped.append(SkippedRecord(_event_id(raw), "invalid_record", (problem,)))
            continue
        image = record.dynamodb.NewImage
        item = listener_item(image, captured_ms) if isinstance(image, dict) else None
        if item is None:
            batch.skipped.append(SkippedRecord(record.eventID, "no_usable_image"))
            continue
        batch.captured.append(((item.batch, item.id), item, record.dynamodb.SequenceNumber))
    return batch


def _event_id(raw: Any) -> str | None:
    event_id = raw.get("eventID") if isinstance(raw, Mapping) else None
    return event_id if isinstance(event_id, str) else None


def _location(loc: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in loc) or "record"


def _as_int(value: object) -> int | None:
    # The stream deserializer turns DynamoDB numbers into Decimal.
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return int(value)
    return None
