"""Items in DynamoDB's attribute-value format (what BatchWriteItem takes).

Only strings and integers are written, so the mapping is spelled out instead of pulling in
boto3's TypeSerializer.
"""

from __future__ import annotations

from record_stream.logic.listener_items import ListenerItem
from record_stream.logic.processed_items import ProcessedItem

AttributeMap = dict[str, dict[str, str]]

PARTITION_KEY = "PK"
SORT_KEY = "SK"


def key_of(item: AttributeMap) -> tuple[str, str]:
    return item[PARTITION_KEY]["S"], item[SORT_KEY]["S"]


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def processed_item_attributes(item: ProcessedItem) -> AttributeMap:
    return {
        PARTITION_KEY: _s(item.batch),
        SORT_KEY: _s(item.id),
        "arrival_ms": _n(item.arrival_ms),
        "processed_ms": _n(item.processed_ms),
        "shard_id": _s(item.shard_id),
        "sequence_number": _s(item.sequence_number),
    }


def listener_item_attributes(item: ListenerItem) -> AttributeMap:
    attributes: AttributeMap = {
        PARTITION_KEY: _s(item.batch),
        SORT_KEY: _s(item.id),
        "batch": _s(item.batch),
        "id": _s(item.id),
        "captured_ms": _n(item.captured_ms),
        "expires_at": _n(item.expires_at),
    }
    if item.arrival_ms is not None:
        attributes["arrival_ms"] = _n(item.arrival_ms)
    if item.processed_ms is not None:
        attributes["processed_ms"] = _n(item.processed_ms)
    return attributes
