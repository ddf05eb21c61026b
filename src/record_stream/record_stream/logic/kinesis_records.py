"""Sorting a Kinesis batch into records to write and records to reject, with their provenance.

Each record's envelope is parsed with the Powertools Parser model `KinesisDataStreamRecord`
(which base64-decodes `data`) one record at a time, so one bad record cannot fail the batch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.parser.models import KinesisDataStreamRecord
from pydantic import ValidationError

from record_stream.logic.record_payload import InvalidRecordError, RejectReason, parse_payload


@dataclass(slots=True)  # not frozen: see logic/__init__.py
class ValidRecord:
    """A record whose data is a valid {batch, id}, with where and when it entered the stream."""

    batch: str
    id: str
    arrival_ms: int
    shard_id: str
    sequence_number: str


@dataclass(frozen=True, slots=True)
class RejectedRecord:
    """A record that can never be processed, with everything needed to inspect or replay it."""

    reason: RejectReason
    detail: str
    data_base64: str
    shard_id: str
    sequence_number: str
    partition_key: str
    event_source_arn: str
    arrival_ms: int | None


@dataclass(frozen=True, slots=True)
class ClassifiedBatch:
    valid: list[ValidRecord]
    rejected: list[RejectedRecord]


def shard_id_of(event_id: str) -> str:
    """`shardId-000000000006:4959...` -> `shardId-000000000006` (Lambda's eventID format)."""
    return event_id.split(":", 1)[0]


def to_epoch_ms(epoch_seconds: float) -> int:
    return round(epoch_seconds * 1000)


def classify_records(raw_records: Sequence[Mapping[str, Any]]) -> ClassifiedBatch:
    """Split raw Lambda Kinesis records (event["Records"]) into valid and rejected ones."""
    valid: list[ValidRecord] = []
    rejected: list[RejectedRecord] = []
    for raw in raw_records:
        try:
            record = KinesisDataStreamRecord.model_validate(raw)
        except ValidationError as error:
            rejected.append(_rejected_envelope(raw, error))
            continue
        payload = record.kinesis
        # The model declares data as bytes | model; without a data model it is always bytes.
        data = payload.data if isinstance(payload.data, bytes) else b""
        try:
            fields = parse_payload(data)
        except InvalidRecordError as error:
            rejected.append(
                RejectedRecord(
                    reason=error.reason,
                    detail=error.detail,
                    data_base64=str(raw["kinesis"]["data"]),
                    shard_id=shard_id_of(record.eventID),
                    sequence_number=payload.sequenceNumber,
                    partition_key=payload.partitionKey,
                    event_source_arn=record.eventSourceARN,
                    arrival_ms=to_epoch_ms(payload.approximateArrivalTimestamp),
                )
            )
            continue
        valid.append(
            ValidRecord(
                batch=fields.batch,
                id=fields.id,
                arrival_ms=to_epoch_ms(payload.approximateArrivalTimestamp),
                shard_id=shard_id_of(record.eventID),
                sequence_number=payload.sequenceNumber,
            )
        )
    return ClassifiedBatch(valid=valid, rejected=rejected)


def _rejected_envelope(raw: Mapping[str, Any], error: ValidationError) -> RejectedRecord:
    """Keep whatever provenance the raw record has; Parser errors on `data` mean bad base64."""
    kinesis = raw.get("kinesis")
    kinesis = kinesis if isinstance(kinesis, Mapping) else {}
    data_errors = [e for e in error.errors() if tuple(e["loc"][:2]) == ("kinesis", "data")]
    if data_errors and len(data_errors) == error.error_count():
        reason, detail = RejectReason.INVALID_BASE64, "data is not valid base64"
    else:
        fields = ", ".join(".".join(str(part) for part in e["loc"]) for e in error.errors())
        reason, detail = RejectReason.INVALID_ENVELOPE, f"record envelope is invalid at: {fields}"
    arrival = kinesis.get("approximateArrivalTimestamp")
    return RejectedRecord(
        reason=reason,
        detail=detail,
        data_base64=str(kinesis.get("data", "")),
        shard_id=shard_id_of(str(raw.get("eventID", ""))),
        sequence_number=str(kinesis.get("sequenceNumber", "")),
        partition_key=str(kinesis.get("partitionKey", "")),
        event_source_arn=str(raw.get("eventSourceARN", "")),
        arrival_ms=to_epoch_ms(arrival) if isinstance(arrival, int | float) else None,
    )
