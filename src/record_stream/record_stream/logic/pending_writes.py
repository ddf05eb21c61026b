"""Collapsing a batch's items by key: BatchWriteItem rejects two puts of one key in a request.

The last occurrence wins (records arrive in sequence order, so it is the newest), and it keeps
the sequence numbers of every record it stands for: if its write fails, all of them are reported,
so Lambda resumes from the lowest and nothing is skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

ItemKey = tuple[str, str]
"""(partition key, sort key) of a DynamoDB item."""

T = TypeVar("T")


@dataclass(slots=True)  # not frozen: see logic/__init__.py
class PendingWrite(Generic[T]):
    item: T
    sequence_numbers: tuple[str, ...]


def collapse_by_key(entries: Iterable[tuple[ItemKey, T, str]]) -> dict[ItemKey, PendingWrite[T]]:
    """(key, item, sequence number) in arrival order -> one pending write per key."""
    collapsed: dict[ItemKey, PendingWrite[T]] = {}
    for key, item, sequence_number in entries:
        previous = collapsed.get(key)
        earlier = previous.sequence_numbers if previous else ()
        collapsed[key] = PendingWrite(item=item, sequence_numbers=(*earlier, sequence_number))
    return collapsed


def failed_sequence_numbers(
    pending: dict[ItemKey, PendingWrite[T]], failed_keys: Iterable[ItemKey]
) -> set[str]:
    """Sequence numbers of every record whose item was not written."""
    return {number for key in failed_keys for number in pending[key].sequence_numbers}
