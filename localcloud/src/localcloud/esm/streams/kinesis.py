"""Kinesis as a stream source: shards, iterators and records shaped like Lambda's Kinesis event."""

from __future__ import annotations

import base64
from typing import Any

from localcloud.esm.arns import kinesis_stream_name
from localcloud.esm.clients import AwsClients
from localcloud.esm.filters import decode_kinesis_data
from localcloud.esm.streams.source import (
    Shard,
    ShardedStreamSource,
    StreamRecord,
    epoch_seconds,
    iso_utc,
    shard_from,
)


class KinesisSource(ShardedStreamSource):
    # moto reports MillisBehindLatest as 0 and never ends a closed shard's iterator; the
    # poller uses the shard's EndingSequenceNumber to notice a drained closed shard.
    batch_info_field = "KinesisBatchInfo"
    max_records_per_read = 10_000  # GetRecords Limit maximum
    sequence_number_parameter = "StartingSequenceNumber"

    def __init__(
        self, clients: AwsClients, stream_arn: str, region: str, invoke_identity_arn: str
    ) -> None:
        super().__init__(clients.client("kinesis"), stream_arn, region)
        self._stream_name = kinesis_stream_name(stream_arn)
        self._identity = invoke_identity_arn

    def stream_parameters(self) -> dict[str, Any]:
        return {"StreamName": self._stream_name}

    def list_shards(self) -> list[Shard]:
        shards: list[Shard] = []
        kwargs: dict[str, Any] = self.stream_parameters()
        while True:
            page = self._client.list_shards(**kwargs)
            shards.extend(shard_from(shard) for shard in page.get("Shards", []))
            token = page.get("NextToken")
            if not token:
                return shards
            kwargs = {"NextToken": token}

    def format_arrival(self, epoch_s: float) -> str:
        return iso_utc(epoch_s, millis=True)

    def to_record(self, shard_id: str, raw: dict[str, Any]) -> StreamRecord:
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
        return StreamRecord.of(raw["SequenceNumber"], arrival, event)

    def filter_view(self, record: StreamRecord) -> dict[str, Any]:
        # Lambda matches Kinesis filters against the record's kinesis fields with `data`
        # decoded as JSON (e.g. {"data": {"kind": ["order"]}} or {"partitionKey": ["p1"]}).
        kinesis: dict[str, Any] = record.event["kinesis"]
        return {**kinesis, "data": decode_kinesis_data(kinesis["data"])}
