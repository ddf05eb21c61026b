"""The processed-records table item built from a valid Kinesis record."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from record_stream.logic.kinesis_records import ValidRecord
from record_stream.logic.pending_writes import PendingWrite, collapse_by_key


@dataclass(slots=True)  # not frozen: see logic/__init__.py
class ProcessedItem:
    """Item {PK: batch, SK: id} plus timing (epoch ms) and provenance in the stream.

    Writing the same record again puts the same key, so a retry overwrites rather than
    duplicates; only processed_ms moves forward to the latest processing.
    """

    batch: str
    id: str
    arrival_ms: int
    processed_ms: int
    shard_id: str
    sequence_number: str


def processed_items(
    records: Sequence[ValidRecord], processed_ms: int
) -> dict[tuple[str, str], PendingWrite[ProcessedItem]]:
    """One pending write per distinct (batch, id) of the batch, the newest record winning."""
    return collapse_by_key(
        (
            (record.batch, record.id),
            ProcessedItem(
                batch=record.batch,
                id=record.id,
                arrival_ms=record.arrival_ms,
                processed_ms=processed_ms,
                shard_id=record.shard_id,
                sequence_number=record.sequence_number,
            ),
            record.sequence_number,
        )
        for record in records
    )
