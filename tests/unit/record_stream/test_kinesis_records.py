"""Pure sorting of a Kinesis batch into valid and rejected records, with provenance."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from record_stream.logic.kinesis_records import (
    ClassifiedBatch,
    RejectedRecord,
    ValidRecord,
    classify_records,
    classify_with_model,
    read_envelope,
    shard_id_of,
)
from record_stream.logic.record_payload import RejectReason
from tests.unit.record_stream.moto_resources import load_event


def _record(
    data: bytes | str, sequence: str = "49600000000000000000000000000000000000000000000000000001"
) -> dict[str, Any]:
    raw = data if isinstance(data, str) else base64.b64encode(data).decode()
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": "pk-1",
            "sequenceNumber": sequence,
            "data": raw,
            "approximateArrivalTimestamp": 1767225600.123,
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"shardId-000000000003:{sequence}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": "arn:aws:iam::123456789012:role/r",
        "awsRegion": "us-east-1",
        "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/s",
    }


def test_valid_record_carries_timing_and_provenance() -> None:
    batch = classify_records([_record(b'{"batch":"b","id":"i"}')])
    assert batch.rejected == []
    (record,) = batch.valid
    assert (record.batch, record.id) == ("b", "i")
    assert record.arrival_ms == 1767225600123
    assert record.shard_id == "shardId-000000000003"
    assert record.sequence_number == "49600000000000000000000000000000000000000000000000000001"


def test_rejected_record_keeps_raw_data_and_provenance() -> None:
    raw = _record(b"not json")
    batch = classify_records([raw])
    (rejected,) = batch.rejected
    assert rejected.reason is RejectReason.INVALID_JSON
    assert rejected.data_base64 == raw["kinesis"]["data"]
    assert rejected.partition_key == "pk-1"
    assert rejected.event_source_arn == "arn:aws:kinesis:us-east-1:123456789012:stream/s"
    assert rejected.arrival_ms == 1767225600123
    assert rejected.shard_id == "shardId-000000000003"


def test_undecodable_base64_is_rejected_not_raised() -> None:
    batch = classify_records(
        [_record("%%%not-base64"), _record(b'{"batch":"b","id":"i"}', sequence="2")]
    )
    assert [r.reason for r in batch.rejected] == [RejectReason.INVALID_BASE64]
    assert batch.rejected[0].data_base64 == "%%%not-base64"
    assert [r.sequence_number for r in batch.valid] == ["2"]


def test_broken_envelope_is_rejected_with_what_is_known() -> None:
    raw = _record(b'{"batch":"b","id":"i"}')
    del raw["kinesis"]["kinesisSchemaVersion"]
    raw["eventName"] = "something-else"
    (rejected,) = classify_records([raw]).rejected
    assert rejected.reason is RejectReason.INVALID_ENVELOPE
    assert "kinesisSchemaVersion" in rejected.detail
    assert rejected.sequence_number == raw["kinesis"]["sequenceNumber"]


def test_order_is_kept_and_every_record_is_accounted_for() -> None:
    event = load_event("kinesis-malformed.json")
    batch = classify_records(copy.deepcopy(event["Records"]))
    assert len(batch.valid) + len(batch.rejected) == len(event["Records"])
    sequences = [r["kinesis"]["sequenceNumber"] for r in event["Records"]]
    assert [r.sequence_number for r in batch.valid] == [
        s for s in sequences if s in {v.sequence_number for v in batch.valid}
    ]


def test_shard_id_of_event_id() -> None:
    assert shard_id_of("shardId-000000000006:4959033827149025660855969") == "shardId-000000000006"


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=64) | st.text(max_size=32).map(str.encode))
def test_any_data_is_either_valid_or_rejected_never_raised(data: bytes) -> None:
    batch = classify_records([_record(data)])
    assert len(batch.valid) + len(batch.rejected) == 1


@settings(max_examples=200, deadline=None)
@given(batch=st.text(min_size=1, max_size=40), record_id=st.text(min_size=1, max_size=40))
def test_any_string_keys_round_trip(batch: str, record_id: str) -> None:
    encodable = all(not 0xD800 <= ord(c) <= 0xDFFF for c in batch + record_id)
    data = json.dumps({"batch": batch, "id": record_id}).encode()
    result = classify_records([_record(data)])
    if encodable:
        assert [(r.batch, r.id) for r in result.valid] == [(batch, record_id)]
    else:
        assert [r.reason for r in result.rejected] == [RejectReason.INVALID_FIELD]


# Values a JSON event can hold where the envelope expects something else (or the same thing).
_JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12)
    | st.text(max_size=12)
)
_ANY_JSON = _JSON_SCALARS | st.lists(_JSON_SCALARS, max_size=2) | st.just({})
_DATA = (
    st.builds(
        lambda batch, record_id: base64.b64encode(
            json.dumps({"batch": batch, "id": record_id}).encode()
        ).decode(),
        st.text(max_size=6),
        st.text(max_size=6),
    )
    | st.text(alphabet="ABCab019+/=-_ %\n", max_size=16)  # base64 or nearly, padding errors
    | st.text(max_size=8)  # non-ASCII too
    | st.binary(max_size=24).map(lambda raw: base64.b64encode(raw).decode())
)
_MISSING = object()


@st.composite
def _envelopes(draw: st.DrawFn) -> Any:
    raw = _record(b"")
    raw["kinesis"]["data"] = draw(_DATA)
    raw["kinesis"]["approximateArrivalTimestamp"] = draw(
        st.floats(min_value=0, max_value=4e9)
        | st.integers(min_value=0, max_value=4 * 10**9)
        | st.just("1767225600.5")
    )
    fields = [("top", name) for name in raw if name != "kinesis"]
    fields += [("kinesis", name) for name in raw["kinesis"]]
    for place, name in draw(st.lists(st.sampled_from(fields), max_size=3, unique=True)):
        target = raw if place == "top" else raw["kinesis"]
        value = draw(_ANY_JSON | st.just(_MISSING))
        if value is _MISSING:
            del target[name]
        else:
            target[name] = value
    return draw(st.sampled_from([raw, raw, raw, {**raw, "kinesis": "not an object"}]))


@settings(max_examples=600, deadline=None)
@given(raw=_envelopes())
def test_the_direct_read_agrees_with_the_parser_model(raw: Any) -> None:
    """Records read without the Parser model come out exactly as the model would sort them."""
    valid: list[ValidRecord] = []
    rejected: list[RejectedRecord] = []
    classify_with_model(raw, valid, rejected)
    assert classify_records([raw]) == ClassifiedBatch(valid=valid, rejected=rejected)


def test_records_as_lambda_sends_them_skip_the_parser_model() -> None:
    """The direct read is taken where it pays: every record of the well-formed sample events."""
    for name in ("kinesis-single.json", "kinesis-batch.json", "kinesis-large-records.json"):
        for raw in load_event(name)["Records"]:
            assert read_envelope(raw) is not None
