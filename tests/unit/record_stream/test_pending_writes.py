"""Pure collapsing of duplicate keys and mapping failed keys back to sequence numbers."""

from __future__ import annotations

from record_stream.logic.kinesis_records import ValidRecord
from record_stream.logic.pending_writes import collapse_by_key, failed_sequence_numbers
from record_stream.logic.processed_items import ProcessedItem, processed_items


def _valid(batch: str, record_id: str, sequence: str) -> ValidRecord:
    return ValidRecord(
        batch=batch,
        id=record_id,
        arrival_ms=int(sequence),
        shard_id="shardId-0",
        sequence_number=sequence,
    )


def test_last_occurrence_wins_and_keeps_every_sequence_number() -> None:
    collapsed = collapse_by_key(
        [(("b", "1"), "first", "10"), (("b", "2"), "other", "11"), (("b", "1"), "last", "12")]
    )
    assert list(collapsed) == [("b", "1"), ("b", "2")]
    assert collapsed[("b", "1")].item == "last"
    assert collapsed[("b", "1")].sequence_numbers == ("10", "12")


def test_failed_keys_map_to_all_their_records() -> None:
    collapsed = collapse_by_key(
        [(("b", "1"), 1, "10"), (("b", "2"), 2, "11"), (("b", "1"), 3, "12")]
    )
    assert failed_sequence_numbers(collapsed, [("b", "1")]) == {"10", "12"}
    assert failed_sequence_numbers(collapsed, []) == set()


def test_processed_items_shape() -> None:
    items = processed_items(
        [_valid("b", "1", "100"), _valid("b", "1", "101"), _valid("c", "2", "102")],
        processed_ms=999,
    )
    assert items[("b", "1")].item == ProcessedItem(
        batch="b",
        id="1",
        arrival_ms=101,
        processed_ms=999,
        shard_id="shardId-0",
        sequence_number="101",
    )
    assert items[("b", "1")].sequence_numbers == ("100", "101")
    assert len(items) == 2
