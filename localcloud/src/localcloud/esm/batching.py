"""Batch assembly shared by every poller: BatchSize, MaximumBatchingWindowInSeconds, 6 MB cap.

Lambda invokes when the batch is full, when the batching window has elapsed, or when the
payload reaches the 6 MB synchronous-invoke limit, whichever comes first. The window starts
with the first record of the batch, so an idle source never produces empty invokes. A batch
that overshoots 6 MB (one read can return several large records) is split into consecutive
invokes, in order.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from localcloud.functions.limits import SYNC_REQUEST_BYTES

MAX_PAYLOAD_BYTES = SYNC_REQUEST_BYTES
# '{"Records": [' + ']}' around the records, and ', ' between them.
_ENVELOPE_BYTES = len('{"Records": []}')
_SEPARATOR_BYTES = 2

T = TypeVar("T")


def json_size(record: dict[str, Any]) -> int:
    return len(json.dumps(record).encode("utf-8"))


class BatchBuilder(Generic[T]):  # Python 3.11: no PEP 695 generics
    """Collects items with their serialised size until the batch should be invoked."""

    def __init__(
        self,
        batch_size: int,
        window_s: float,
        max_payload_bytes: int = MAX_PAYLOAD_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.batch_size = batch_size
        self.window_s = window_s
        self.max_payload_bytes = max_payload_bytes
        self._clock = clock
        self._items: list[tuple[T, int]] = []
        self._bytes = _ENVELOPE_BYTES
        self._deadline: float | None = None

    def add(self, item: T, size: int) -> None:
        if self._deadline is None:
            self._deadline = self._clock() + self.window_s
        self._items.append((item, size))
        self._bytes += size + _SEPARATOR_BYTES

    def __len__(self) -> int:
        return len(self._items)

    @property
    def room(self) -> int:
        """How many more items fit by count."""
        return max(self.batch_size - len(self._items), 0)

    def time_left(self) -> float:
        if self._deadline is None:
            return self.window_s
        return max(self._deadline - self._clock(), 0.0)

    def ready(self) -> bool:
        if not self._items:
            return False
        return (
            len(self._items) >= self.batch_size
            or self._bytes >= self.max_payload_bytes
            or self.time_left() <= 0
        )

    def clear(self) -> None:
        self._items = []
        self._bytes = _ENVELOPE_BYTES
        self._deadline = None

    def take(self) -> list[list[T]]:
        """The collected items as one or more invoke-sized batches, in order; resets."""
        batches: list[list[T]] = []
        current: list[T] = []
        current_bytes = _ENVELOPE_BYTES
        for item, size in self._items:
            if current and (
                current_bytes + size + _SEPARATOR_BYTES > self.max_payload_bytes
                or len(current) >= self.batch_size
            ):
                batches.append(current)
                current, current_bytes = [], _ENVELOPE_BYTES
            current.append(item)
            current_bytes += size + _SEPARATOR_BYTES
        if current:
            batches.append(current)
        self.clear()
        return batches
