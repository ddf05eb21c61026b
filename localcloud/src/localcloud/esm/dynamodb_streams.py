"""DynamoDB Streams as a stream source: records shaped like Lambda's DynamoDB event."""

from __future__ import annotations

import base64
from typing import Any

from localcloud.esm.batching import json_size
from localcloud.esm.clients import AwsClients
from localcloud.esm.streams import (
    IteratorType,
    ReadResult,
    Shard,
    StreamRecord,
    epoch_seconds,
    get_records_page,
    iso_utc,
)

_IMAGE_KEYS = ("Keys", "NewImage", "OldImage")


class DynamoDbStreamSource:
    batch_info_field = "DDBStreamBatchInfo"
    max_records_per_read = 1_000  # GetRecords Limit maximum

    def __init__(self, clients: AwsClients, stream_arn: str, region: str) -> None:
        self.stream_arn = stream_arn
        self._region = region
        self._client = clients.client("dynamodbstreams")

    def list_shards(self) -> list[Shard]:
        shards: list[Shard] = []
        kwargs: dict[str, Any] = {"StreamArn": self.stream_arn}
        while True:
            description = self._client.describe_stream(**kwargs)["StreamDescription"]
            for shard in description.get("Shards", []):
                shards.append(
                    Shard(
                        shard_id=shard["ShardId"],
                        parent_shard_id=shard.get("ParentShardId"),
                        closed="EndingSequenceNumber" in shard.get("SequenceNumberRange", {}),
                    )
                )
            last = description.get("LastEvaluatedShardId")
            if not last:
                return shards
            kwargs = {"StreamArn": self.stream_arn, "ExclusiveStartShardId": last}

    def shard_iterator(
        self, shard_id: str, iterator_type: IteratorType, sequence_number: str | None = None
    ) -> str:
        kwargs: dict[str, Any] = {
            "StreamArn": self.stream_arn,
            "ShardId": shard_id,
            "ShardIteratorType": iterator_type,
        }
        if sequence_number is not None:
            kwargs["SequenceNumber"] = sequence_number
        return str(self._client.get_shard_iterator(**kwargs)["ShardIterator"])

    def read(self, shard_id: str, iterator: str, limit: int) -> ReadResult:
        page = get_records_page(self._client, iterator, limit)
        records = [self._to_record(raw) for raw in page.get("Records", [])]
        return ReadResult(records=records, next_iterator=page.get("NextShardIterator"))

    def format_arrival(self, epoch_s: float) -> str:
        # DynamoDB's creation times have second precision; AWS's samples show no millis.
        return iso_utc(epoch_s, millis=False)

    def _to_record(self, raw: dict[str, Any]) -> StreamRecord:
        stream = dict(raw["dynamodb"])
        created = epoch_seconds(stream["ApproximateCreationDateTime"])
        # Lambda delivers the creation time as epoch seconds and binary values as base64.
        stream["ApproximateCreationDateTime"] = int(created)
        for key in _IMAGE_KEYS:
            if key in stream:
                stream[key] = {name: _jsonable(value) for name, value in stream[key].items()}
        event: dict[str, Any] = {
            "eventID": raw["eventID"],
            "eventName": raw["eventName"],
            # GetRecords says 1.0 in moto; Lambda's DynamoDB events say 1.1.
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": self._region,
            "dynamodb": stream,
            "eventSourceARN": self.stream_arn,
        }
        if "userIdentity" in raw:  # TTL deletions
            event["userIdentity"] = raw["userIdentity"]
        return StreamRecord(
            sequence_number=stream["SequenceNumber"],
            arrival=created,
            event=event,
            size=json_size(event),
        )

    def filter_view(self, record: StreamRecord) -> dict[str, Any]:
        # DynamoDB filters match the whole record ({"eventName": [...]}, {"dynamodb": ...}).
        return record.event


def _jsonable(value: Any) -> Any:
    """An AttributeValue with boto3's bytes turned back into base64, as on the wire."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    if isinstance(value, set):
        return [_jsonable(item) for item in sorted(value)]
    return value
