"""Send records to Kinesis and read what the listener captured, for the record-stream suite."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

from boto3.dynamodb.conditions import Key

PUT_RECORDS_MAX_RECORDS = 500
PUT_RECORDS_MAX_BYTES = 5 * 1024 * 1024


def _chunks(records: Sequence[tuple[bytes, str]]) -> list[list[tuple[bytes, str]]]:
    chunks: list[list[tuple[bytes, str]]] = [[]]
    size = 0
    for data, key in records:
        record_size = len(data) + len(key.encode())
        if chunks[-1] and (
            len(chunks[-1]) == PUT_RECORDS_MAX_RECORDS or size + record_size > PUT_RECORDS_MAX_BYTES
        ):
            chunks.append([])
            size = 0
        chunks[-1].append((data, key))
        size += record_size
    return [c for c in chunks if c]


def put_records(
    kinesis: Any, stream_name: str, records: Sequence[tuple[bytes, str]], attempts: int = 8
) -> int:
    """PutRecords within the API limits, retrying throttled entries; returns the requests made."""
    requests_made = 0
    for chunk in _chunks(records):
        pending = chunk
        for attempt in range(attempts):
            response = kinesis.put_records(
                StreamName=stream_name,
                Records=[{"Data": data, "PartitionKey": key} for data, key in pending],
            )
            requests_made += 1
            pending = [
                record
                for record, result in zip(pending, response["Records"], strict=True)
                if "ErrorCode" in result
            ]
            if not pending:
                break
            time.sleep(min(0.1 * 2**attempt, 2.0))
        if pending:
            raise AssertionError(f"{len(pending)} records still throttled after {attempts} tries")
    return requests_made


def batch_items(table: Any, batch: str) -> list[dict[str, Any]]:
    """Every item of one batch (partition key ``PK``) of a PK/SK table, consistently read."""
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"KeyConditionExpression": Key("PK").eq(batch), "ConsistentRead": True}
    while True:
        page = table.query(**kwargs)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def batch_sort_keys(table: Any, batch: str) -> list[str]:
    """The sort keys (``SK``) of one batch's items, duplicates kept, consistently read.

    Only the key comes back (``ProjectionExpression``): for accounting by id. Measured on moto,
    1,000 processed items: 0.2-0.3 s, against about 2 s for reading them whole."""
    keys: list[str] = []
    kwargs: dict[str, Any] = {
        "KeyConditionExpression": Key("PK").eq(batch),
        "ConsistentRead": True,
        "ProjectionExpression": "SK",
    }
    while True:
        page = table.query(**kwargs)
        keys.extend(str(item["SK"]) for item in page["Items"])
        if "LastEvaluatedKey" not in page:
            return keys
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def batch_count(table: Any, batch: str) -> int:
    """How many items one batch has, without reading them (``Select=COUNT``).

    For long-polls: moto answers a 5,000-item query in ~4 s but counts it in ~0.3 s, and a
    query that long holds up the writes being waited for."""
    count = 0
    kwargs: dict[str, Any] = {
        "KeyConditionExpression": Key("PK").eq(batch),
        "ConsistentRead": True,
        "Select": "COUNT",
    }
    while True:
        page = table.query(**kwargs)
        count += int(page["Count"])
        if "LastEvaluatedKey" not in page:
            return count
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (no interpolation): a value that was actually observed."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]
