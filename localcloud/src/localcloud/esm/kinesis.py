"""Kinesis as a stream source: shards, iterators and records shaped like Lambda's Kinesis event."""

from __future__ import annotations

import base64
from typing import Any

from localcloud.esm.arns import kinesis_stream_name
from localcloud.esm.batching import json_size
from localcloud.esm.clients import AwsClients
from localcloud.esm.filters import decode_kinesis_data
from localcloud.esm.streams import (
    IteratorType,
    ReadResult,
    Shard,
    StreamRecord,
    epoch_seconds,
    get_records_page,
    iso_utc,
)


class KinesisSource:
    batch_info_field = "KinesisBatchInfo"
    max_records_per_read = 10_000  # GetRecords Limit maximum

    def __init__(
        self, clients: AwsClients, stream_arn: str, region: str, invoke_identity_arn: str
    ) -> None:
        self.stream_arn = stream_arn
        self._stream_name = kinesis_stream_name(stream_arn)
        self._region = region
        self._identity = invoke_identity_arn
        self._client = clients.client("kinesis")

    def list_shards(self) -> list[Shard]:
        shards: list[Shard] = []
        kwargs: dict[str, Any] = {"StreamName": self._stream_name}
        while True:
            page = self._client.list_shards(**kwargs)
            for shard in page.get("Shards", []):
                shards.append(
                    Shard(
                        shard_id=shard["ShardId"],
                        parent_shard_id=shard.get("ParentShardId"),
                        closed="EndingSequenceNumber" in shard.get("SequenceNumberRange", {}),
                    )
                )
            token = page.get("NextToken")
            if not token:
                return shards
            kwargs = {"NextToken": token}

    def shard_iterator(
        self, shard_id: str, iterator_type: IteratorType, sequence_number: str | None = None
    ) -> str:
        kwargs: dict[str, Any] = {
            "StreamName": self._stream_name,
            "ShardId": shard_id,
            "ShardIteratorType": iterator_type,
        }
        if sequence_number is not None:
            kwargs["StartingSequenceNumber"] = sequence_number
        return str(self._client.get_shard_iterator(**kwargs)["ShardIterator"])

    def read(self, shard_id: str, iterator: str, limit: int) -> ReadResult:
        page = get_records_page(self._client, iterator, limit)
        # moto reports MillisBehindLatest as 0 and never ends a closed shard's iterator; the
        # poller uses the shard's EndingSequenceNumber to notice a drained closed shard.
        records = [self._to_record(shard_id, raw) for raw in page.get("Records", [])]
        return ReadResult(records=records, next_iterator=page.get("NextShardIterator"))

    def format_arrival(self, epoch_s: float) -> str:
        return iso_utc(epoch_s, millis=True)

    def _to_record(self, shard_id: str, raw: dict[str, Any]) -> StreamRecord:
        arrival = epoch_seconds(raw["ApproximateArrivalTimestamp"])
        data_b64 = base64.b64encode(raw["Data"]).decode("ascii")
        kinesis = {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": raw["PartitionKey"],
            "sequenceNumber": raw["SequenceNumber"],
            "data": data_b64,
            "approximateArrivalTimestamp": round(arrival, 3),
        }
        event = {
            "kinesis": kinesis,
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": f"{shard_id}:{raw['SequenceNumber']}",
            "eventName": "aws:kinesis:record",
            "invokeIdentityArn": self._identity,
            "awsRegion": self._region,
            "eventSourceARN": self.stream_arn,
        }
        return StreamRecord(
            sequence_number=raw["SequenceNumber"],
            arrival=arrival,
            event=event,
            size=json_size(event),
        )

    def filter_view(self, record: StreamRecord) -> dict[str, Any]:
        # Lambda matches Kinesis filters against the record's kinesis fields with `data`
        # decoded as JSON (e.g. {"data": {"kind": ["order"]}} or {"partitionKey": ["p1"]}).
        kinesis: dict[str, Any] = record.event["kinesis"]
        return {**kinesis, "data": decode_kinesis_data(kinesis["data"])}
