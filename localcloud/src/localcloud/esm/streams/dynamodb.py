"""DynamoDB Streams as a stream source: records shaped like Lambda's DynamoDB event.

Records are read from moto's backend in this process when the stream is there (the local cloud's
own moto): over HTTP each record cost ~0.45 ms of the local cloud's CPU in moto's serialiser and
botocore's parser (``localcloud.moto_internals.dynamodb_streams``). Shards and iterators still go
through the HTTP API, as does a stream this process's moto does not hold.
"""

from __future__ import annotations

import base64
from typing import Any

from localcloud.esm.clients import AwsClients
from localcloud.esm.streams.source import (
    IteratorExpiredError,
    ReadResult,
    Shard,
    ShardedStreamSource,
    StreamRecord,
    epoch_seconds,
    iso_utc,
    shard_from,
)
from localcloud.moto_internals import dynamodb_streams

_IMAGE_KEYS = ("Keys", "NewImage", "OldImage")


class DynamoDbStreamSource(ShardedStreamSource):
    batch_info_field = "DDBStreamBatchInfo"
    max_records_per_read = 1_000  # GetRecords Limit maximum
    sequence_number_parameter = "SequenceNumber"

    def __init__(self, clients: AwsClients, stream_arn: str, region: str) -> None:
        super().__init__(clients.client("dynamodbstreams"), stream_arn, region)
        self._here: bool | None = None  # is the stream in this process's moto? (first read)

    def read(self, shard_id: str, iterator: str, limit: int) -> ReadResult:
        if self._here is None:
            self._here = dynamodb_streams.stream_is_here(self.stream_arn)
        if not self._here:
            return super().read(shard_id, iterator, limit)
        try:
            page = dynamodb_streams.get_records(self.stream_arn, iterator, limit)
        except dynamodb_streams.UnknownIteratorError as error:
            # The poller starts again from its checkpoint, as after an expired iterator.
            raise IteratorExpiredError(f"unknown shard iterator {error}") from error
        records = [self.to_record(shard_id, raw) for raw in page["Records"]]
        return ReadResult(records=records, next_iterator=page.get("NextShardIterator"))

    def stream_parameters(self) -> dict[str, Any]:
        return {"StreamArn": self.stream_arn}

    def list_shards(self) -> list[Shard]:
        shards: list[Shard] = []
        kwargs: dict[str, Any] = self.stream_parameters()
        while True:
            description = self._client.describe_stream(**kwargs)["StreamDescription"]
            shards.extend(shard_from(shard) for shard in description.get("Shards", []))
            last = description.get("LastEvaluatedShardId")
            if not last:
                return shards
            kwargs = {**self.stream_parameters(), "ExclusiveStartShardId": last}

    def format_arrival(self, epoch_s: float) -> str:
        # DynamoDB's creation times have second precision; AWS's samples show no millis.
        return iso_utc(epoch_s, millis=False)

    def to_record(self, shard_id: str, raw: dict[str, Any]) -> StreamRecord:
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
        return StreamRecord.of(stream["SequenceNumber"], created, event)

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
