"""Sorting a Kinesis batch into records to write and records to reject, with their provenance.

Each record is read on its own, so one bad record cannot fail the batch. The authority on what a
valid envelope is stays the Powertools Parser model `KinesisDataStreamRecord` (which
base64-decodes `data`); but validating 10,000 records with it cost 5-7 us each (its base64
validator runs in Python and logs at debug level per record), a fifth of the handler's CPU. So a
record whose fields are exactly the JSON types Lambda sends (`KinesisEnvelope`: the two literals,
every other field a string, the arrival time a float, `data` base64) is read directly: the model
accepts each such record with these same values (a unit test checks it on generated envelopes).
Any other record goes through the model, which coerces what it accepts (an integer timestamp, a
numeric string) or names what is wrong, as before.
"""

from __future__ import annotations

import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict, cast

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


class KinesisPayload(TypedDict):
    """`kinesis` of a record as Lambda sends it (data still base64)."""

    kinesisSchemaVersion: str
    partitionKey: str
    sequenceNumber: str
    data: str
    approximateArrivalTimestamp: float


class KinesisEnvelope(TypedDict):
    """One element of a Kinesis event's `Records` as Lambda sends it."""

    eventSource: str  # "aws:kinesis"
    eventVersion: str
    eventID: str
    eventName: str  # "aws:kinesis:record"
    invokeIdentityArn: str
    awsRegion: str
    eventSourceARN: str
    kinesis: KinesisPayload


def read_envelope(raw: object) -> tuple[KinesisEnvelope, bytes] | None:
    """The envelope and its decoded data if every field is exactly as Lambda sends it, else None
    (the record then goes to the Parser model). Exact types, not isinstance: a subclass or any
    coercion is the model's to judge."""
    if type(raw) is not dict:
        return None
    kinesis = raw.get("kinesis")
    if not (
        type(kinesis) is dict
        and raw.get("eventSource") == "aws:kinesis"
        and raw.get("eventName") == "aws:kinesis:record"
        and type(raw.get("eventSource")) is str
        and type(raw.get("eventName")) is str
        and type(raw.get("eventVersion")) is str
        and type(raw.get("eventID")) is str
        and type(raw.get("invokeIdentityArn")) is str
        and type(raw.get("awsRegion")) is str
        and type(raw.get("eventSourceARN")) is str
        and type(kinesis.get("kinesisSchemaVersion")) is str
        and type(kinesis.get("partitionKey")) is str
        and type(kinesis.get("sequenceNumber")) is str
        and type(kinesis.get("approximateArrivalTimestamp")) is float
        and type(data_base64 := kinesis.get("data")) is str
    ):
        return None
    try:
        # What the model's validator runs (base64.b64decode, not strict), without its wrapping.
        data = binascii.a2b_base64(data_base64)
    except ValueError:  # binascii.Error, or a non-ASCII string
        return None
    return cast(KinesisEnvelope, raw), data


def classify_records(raw_records: Sequence[Mapping[str, Any]]) -> ClassifiedBatch:
    """Split raw Lambda Kinesis records (event["Records"]) into valid and rejected ones."""
    valid: list[ValidRecord] = []
    rejected: list[RejectedRecord] = []
    for raw in raw_records:
        read = read_envelope(raw)
        if read is None:
            classify_with_model(raw, valid, rejected)
            continue
        envelope, data = read
        payload = envelope["kinesis"]
        _sort_payload(
            data,
            data_base64=payload["data"],
            event_id=envelope["eventID"],
            sequence_number=payload["sequenceNumber"],
            partition_key=payload["partitionKey"],
            event_source_arn=envelope["eventSourceARN"],
            arrival=payload["approximateArrivalTimestamp"],
            valid=valid,
            rejected=rejected,
        )
    return ClassifiedBatch(valid=valid, rejected=rejected)


def classify_with_model(
    raw: Mapping[str, Any], valid: list[ValidRecord], rejected: list[RejectedRecord]
) -> None:
    """Sort one record by the Parser model (any record `read_envelope` leaves to it)."""
    try:
        record = KinesisDataStreamRecord.model_validate(raw)
    except ValidationError as error:
        rejected.append(_rejected_envelope(raw, error))
        return
    payload = record.kinesis
    # The model declares data as bytes | model; without a data model it is always bytes.
    _sort_payload(
        payload.data if isinstance(payload.data, bytes) else b"",
        data_base64=str(raw["kinesis"]["data"]),
        event_id=record.eventID,
        sequence_number=payload.sequenceNumber,
        partition_key=payload.partitionKey,
        event_source_arn=record.eventSourceARN,
        arrival=payload.approximateArrivalTimestamp,
        valid=valid,
        rejected=rejected,
    )


def _sort_payload(
    data: bytes,
    *,
    data_base64: str,
    event_id: str,
    sequence_number: str,
    partition_key: str,
    event_source_arn: str,
    arrival: float,
    valid: list[ValidRecord],
    rejected: list[RejectedRecord],
) -> None:
    """One record's decoded data, however its envelope was read, into valid or rejected."""
    try:
        fields = parse_payload(data)
    except InvalidRecordError as error:
        rejected.append(
            RejectedRecord(
                reason=error.reason,
                detail=error.detail,
                data_base64=data_base64,
                shard_id=shard_id_of(event_id),
                sequence_number=sequence_number,
                partition_key=partition_key,
                event_source_arn=event_source_arn,
                arrival_ms=to_epoch_ms(arrival),
            )
        )
        return
    valid.append(
        ValidRecord(
            batch=fields.batch,
            id=fields.id,
            arrival_ms=to_epoch_ms(arrival),
            shard_id=shard_id_of(event_id),
            sequence_number=sequence_number,
        )
    )


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
