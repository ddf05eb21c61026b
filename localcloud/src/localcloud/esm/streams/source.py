"""What the shared stream poller needs from a stream service (Kinesis, DynamoDB Streams).

:class:`ShardedStreamSource` is what both services' sources share (GetShardIterator, GetRecords
and the shard list's shape); each source turns the service's GetRecords output into
:class:`StreamRecord` values that carry the record exactly as Lambda delivers it, plus what the
poller needs around it (sequence number, arrival time, the serialised size); ``filter_view``
gives what the filters see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from botocore.exceptions import ClientError

from localcloud.esm.batching import json_size

IteratorType = Literal["TRIM_HORIZON", "LATEST", "AFTER_SEQUENCE_NUMBER"]


@dataclass(frozen=True)
class StreamRecord:
    sequence_number: str
    arrival: float  # epoch seconds: Kinesis arrival / DynamoDB creation time
    event: dict[str, Any]  # one element of the event's "Records", as Lambda delivers it
    size: int  # serialised size of ``event`` in bytes

    @classmethod
    def of(cls, sequence_number: str, arrival: float, event: dict[str, Any]) -> StreamRecord:
        return cls(sequence_number, arrival, event, json_size(event))


@dataclass(frozen=True)
class Shard:
    shard_id: str
    parent_shard_id: str | None
    closed: bool  # has an EndingSequenceNumber: no new records will arrive


@dataclass(frozen=True)
class ReadResult:
    records: list[StreamRecord]
    next_iterator: str | None  # None: the shard is closed and fully read


class IteratorExpiredError(Exception):
    """The shard iterator expired (AWS: after 5 minutes); re-get one from the checkpoint."""


class StreamSource(Protocol):
    stream_arn: str
    # The key of the batch details in the OnFailure record: KinesisBatchInfo / DDBStreamBatchInfo.
    batch_info_field: str
    max_records_per_read: int

    def list_shards(self) -> list[Shard]: ...

    def shard_iterator(
        self, shard_id: str, iterator_type: IteratorType, sequence_number: str | None = None
    ) -> str: ...

    def read(self, shard_id: str, iterator: str, limit: int) -> ReadResult: ...

    def filter_view(self, record: StreamRecord) -> dict[str, Any]:
        """What FilterCriteria patterns are matched against (built only when there are any)."""
        ...

    def format_arrival(self, epoch_s: float) -> str:
        """An arrival time as the OnFailure record shows it."""
        ...


def epoch_seconds(value: datetime | float | int) -> float:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.timestamp()
    return float(value)


def iso_utc(epoch_s: float, millis: bool) -> str:
    moment = datetime.fromtimestamp(epoch_s, tz=UTC)
    if millis:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def get_records_page(client: Any, iterator: str, limit: int) -> dict[str, Any]:
    """GetRecords for Kinesis and DynamoDB Streams alike (same call, same expiry error)."""
    try:
        page: dict[str, Any] = client.get_records(ShardIterator=iterator, Limit=limit)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ExpiredIteratorException":
            raise IteratorExpiredError(str(error)) from error
        raise
    return page


def shard_from(description: dict[str, Any]) -> Shard:
    """A shard from ListShards (Kinesis) or DescribeStream (DynamoDB Streams): the same shape."""
    return Shard(
        shard_id=description["ShardId"],
        parent_shard_id=description.get("ParentShardId"),
        closed="EndingSequenceNumber" in description.get("SequenceNumberRange", {}),
    )


class ShardedStreamSource:
    """A :class:`StreamSource` over a service with Kinesis's GetShardIterator and GetRecords;
    subclasses name the stream in requests, list its shards and shape its records."""

    batch_info_field: str
    max_records_per_read: int
    # GetShardIterator's name for the sequence number to start at or after.
    sequence_number_parameter: str

    def __init__(self, client: Any, stream_arn: str, region: str) -> None:
        self.stream_arn = stream_arn
        self._client = client
        self._region = region

    def stream_parameters(self) -> dict[str, Any]:
        """How requests name the stream (StreamName / StreamArn)."""
        raise NotImplementedError

    def to_record(self, shard_id: str, raw: dict[str, Any]) -> StreamRecord:
        """One GetRecords record as Lambda delivers it."""
        raise NotImplementedError

    def shard_iterator(
        self, shard_id: str, iterator_type: IteratorType, sequence_number: str | None = None
    ) -> str:
        kwargs: dict[str, Any] = {
            **self.stream_parameters(),
            "ShardId": shard_id,
            "ShardIteratorType": iterator_type,
        }
        if sequence_number is not None:
            kwargs[self.sequence_number_parameter] = sequence_number
        return str(self._client.get_shard_iterator(**kwargs)["ShardIterator"])

    def read(self, shard_id: str, iterator: str, limit: int) -> ReadResult:
        page = get_records_page(self._client, iterator, limit)
        records = [self.to_record(shard_id, raw) for raw in page.get("Records", [])]
        return ReadResult(records=records, next_iterator=page.get("NextShardIterator"))
