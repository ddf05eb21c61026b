"""The listener-table item (test harness) built from a processed item's stream image."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

CAPTURE_TTL_SECONDS = 24 * 60 * 60
"""Listener items expire a day after capture (DynamoDB TTL on expires_at)."""


@dataclass(frozen=True, slots=True)
class CapturedItem:
    batch: str
    id: str
    arrival_ms: int | None
    processed_ms: int | None
    captured_ms: int
    expires_at: int


def captured_item(new_image: Mapping[str, Any], captured_ms: int) -> CapturedItem | None:
    """Copy key and timings from a deserialized NewImage; None if it has no usable key."""
    batch, item_id = new_image.get("PK"), new_image.get("SK")
    if not isinstance(batch, str) or not isinstance(item_id, str) or not batch or not item_id:
        return None
    return CapturedItem(
        batch=batch,
        id=item_id,
        arrival_ms=_as_int(new_image.get("arrival_ms")),
        processed_ms=_as_int(new_image.get("processed_ms")),
        captured_ms=captured_ms,
        expires_at=captured_ms // 1000 + CAPTURE_TTL_SECONDS,
    )


def _as_int(value: object) -> int | None:
    # The stream deserializer turns DynamoDB numbers into Decimal.
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return int(value)
    return None
