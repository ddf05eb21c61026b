"""Generate the record-stream sample events (Kinesis and DynamoDB-stream shapes Lambda sends).

Deterministic (no clock, no randomness), so re-running it reproduces the committed JSON:

    .venv/bin/python events/record_stream/generate_events.py

Every file works with `sam local invoke RecordProcessorFunction -e events/record_stream/<file>`
(or ListenerFunction for dynamodb-stream-listener.json) and with the local cloud's invoke.
In kinesis-malformed.json each record's partitionKey names the outcome it must have,
`valid:<case>` or `reject:<reason>:<case>`, so tests can check the file record by record.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REGION = "us-east-1"
ACCOUNT = "123456789012"
STREAM_ARN = f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/local-RecordsStream-EXAMPLE"
INVOKE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/local-RecordProcessorFunctionRole-EXAMPLE"
TABLE_STREAM_ARN = (
    f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/local-ProcessedRecordsTable-EXAMPLE"
    "/stream/2026-01-01T00:00:00.000"
)
SHARD_ID = "shardId-000000000000"
FIRST_SEQUENCE = 49_659_875_422_166_290_462_016_548_113_780_838_446_532_133_452_128_256_002
FIRST_ARRIVAL = 1_767_225_600.0  # 2026-01-01T00:00:00Z
KINESIS_MAX_RECORD_BYTES = 1024 * 1024  # data + partition key
LAMBDA_MAX_PAYLOAD_BYTES = 6 * 1024 * 1024  # synchronous invoke, what the Kinesis ESM uses


def kinesis_record(
    index: int, data: bytes, partition_key: str, *, raw_data: str | None = None
) -> dict[str, Any]:
    """One record as Lambda delivers it; raw_data overrides the base64 field (invalid cases)."""
    sequence_number = str(FIRST_SEQUENCE + index * 1_000_000_000)
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": partition_key,
            "sequenceNumber": sequence_number,
            "data": raw_data if raw_data is not None else base64.b64encode(data).decode("ascii"),
            "approximateArrivalTimestamp": round(FIRST_ARRIVAL + index * 0.004, 3),
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{SHARD_ID}:{sequence_number}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": INVOKE_ROLE,
        "awsRegion": REGION,
        "eventSourceARN": STREAM_ARN,
    }


def payload(batch: str, record_id: str, **extra: Any) -> bytes:
    return json.dumps({"batch": batch, "id": record_id, **extra}, separators=(",", ":")).encode()


def valid_batch(count: int, batch: str) -> dict[str, Any]:
    records = [
        kinesis_record(i, payload(batch, f"{batch}-{i:05d}"), partition_key=f"{batch}-{i:05d}")
        for i in range(count)
    ]
    return {"Records": records}


def large_records() -> dict[str, Any]:
    """Valid records close to Kinesis's 1 MiB limit; the event stays under Lambda's 6 MB."""
    # Keys at DynamoDB's limits (2048-byte partition key, 1024-byte sort key, multi-byte UTF-8)
    # plus a padding field the processor ignores.
    sizes = [KINESIS_MAX_RECORD_BYTES - 64, 1_000_000, 750_000, 500_000]
    records = []
    for i, size in enumerate(sizes):
        batch = "large-" + "b" * (2048 - len("large-")) if i == 0 else f"large-batch-{i}"
        record_id = "é" * 512 if i == 0 else f"large-{i}-" + "i" * 1000
        partition_key = f"large-{i}"
        skeleton = payload(batch, record_id, padding="")
        padding = "x" * (size - len(skeleton) - len(partition_key))
        records.append(kinesis_record(i, payload(batch, record_id, padding=padding), partition_key))
    return {"Records": records}


DEEP = 20_000  # nesting levels: past the C parser's limit on 3.12+ (~10,000) and 3.11 (1,000)


def payload_with(field: str, json_text: str, record_id: str = "odd") -> bytes:
    """A {batch, id} record with one more field holding raw JSON text (or what is not JSON)."""
    return b'{"batch":"mixed","id":"%s","%s":%s}' % (
        record_id.encode(),
        field.encode(),
        json_text.encode(),
    )


# (partition key = expected outcome, data bytes or None, raw base64 override or None)
MALFORMED_CASES: list[tuple[str, bytes | None, str | None]] = [
    ("valid:plain", payload("mixed", "ok-1"), None),
    ("reject:invalid_base64:not-base64", None, "%%%not-base64"),
    ("reject:invalid_utf8:latin-1", '{"batch":"mixed","id":"caf\u00e9"}'.encode("latin-1"), None),
    ("reject:invalid_utf8:binary", b"\xff\xfe\x00\x01garbage", None),
    ("reject:invalid_json:text", b"batch=mixed,id=3", None),
    ("reject:invalid_json:truncated", b'{"batch":"mixed","id":', None),
    ("reject:invalid_json:bom", b'\xef\xbb\xbf{"batch":"mixed","id":"bom"}', None),
    ("reject:invalid_json:empty", b"", None),
    ("reject:not_an_object:array", b'["mixed","ok-1"]', None),
    ("reject:not_an_object:string", b'"mixed"', None),
    ("reject:not_an_object:null", b"null", None),
    ("reject:invalid_field:missing-batch", b'{"id":"no-batch"}', None),
    ("reject:invalid_field:missing-id", b'{"batch":"mixed"}', None),
    ("reject:invalid_field:empty-batch", payload("", "empty-batch"), None),
    ("reject:invalid_field:empty-id", payload("mixed", ""), None),
    ("reject:invalid_field:number-batch", b'{"batch":7,"id":"number-batch"}', None),
    ("reject:invalid_field:null-id", b'{"batch":"mixed","id":null}', None),
    ("reject:invalid_field:object-id", b'{"batch":"mixed","id":{"n":1}}', None),
    ("reject:invalid_field:lone-surrogate", b'{"batch":"mixed","id":"\\ud800"}', None),
    ("reject:invalid_utf8:raw-surrogate", b'{"batch":"mixed","id":"\xed\xa0\x80"}', None),
    # What Python's parser refuses (ValueError, RecursionError) or reads but is not JSON.
    ("reject:invalid_json:4301-digit-integer", payload_with("n", "1" * 4301), None),
    ("reject:invalid_json:nested-too-deeply", payload_with("n", "[" * DEEP + "]" * DEEP), None),
    ("reject:invalid_json:nan", payload_with("n", "NaN"), None),
    ("reject:invalid_json:infinity", payload_with("n", "Infinity"), None),
    ("reject:invalid_json:minus-infinity", payload_with("n", "-Infinity"), None),
    ("reject:key_too_long:batch-2049-bytes", payload("b" * 2049, "too-long-batch"), None),
    ("reject:key_too_long:id-1025-bytes", payload("mixed", "é" * 512 + "x"), None),
    ("valid:extra-fields-ignored", payload("mixed", "ok-2", note="extra", n=1), None),
    ("valid:unicode-keys", payload("lot-\u00e9\u4e2d", "\U0001f600-ok-3"), None),
    ("valid:keys-at-limits", payload("b" * 2048, "é" * 512), None),
    ("valid:duplicate-of-plain", payload("mixed", "ok-1", note="newer copy"), None),
    # Duplicate names: the last one wins (as in JSON.parse, Jackson and pydantic's parser).
    ("valid:duplicate-name-last-wins", b'{"batch":"mixed","id":"shadowed","id":"ok-5"}', None),
    ("valid:lone-surrogate-in-ignored-field", b'{"batch":"mixed","id":"ok-6","n":"\\ud800"}', None),
    ("valid:4300-digit-integer-ignored", payload_with("n", "1" * 4300, record_id="ok-7"), None),
    ("valid:after-the-bad-ones", payload("mixed", "ok-4"), None),
]


def malformed() -> dict[str, Any]:
    records = [
        kinesis_record(i, data or b"", partition_key, raw_data=raw)
        for i, (partition_key, data, raw) in enumerate(MALFORMED_CASES)
    ]
    return {"Records": records}


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def dynamodb_stream_listener() -> dict[str, Any]:
    """Processed-table stream records (NEW_IMAGE) as the listener receives them."""
    arrival_ms = int(FIRST_ARRIVAL * 1000)
    images = [
        ("INSERT", "batch-0001", "batch-0001-00000", 0),
        ("INSERT", "batch-0001", "batch-0001-00001", 1),
        ("INSERT", "batch-0002", "batch-0002-00000", 2),
        ("MODIFY", "batch-0001", "batch-0001-00000", 3),  # the same record processed again
    ]
    records = []
    for i, (event_name, batch, record_id, offset) in enumerate(images):
        sequence = str(FIRST_SEQUENCE + i)
        new_image = {
            "PK": _s(batch),
            "SK": _s(record_id),
            "arrival_ms": _n(arrival_ms + offset),
            "processed_ms": _n(arrival_ms + offset + 180),
            "shard_id": _s(SHARD_ID),
            "sequence_number": _s(str(FIRST_SEQUENCE + offset * 1_000_000_000)),
        }
        records.append(
            {
                "eventID": f"{i + 1:032x}",
                "eventName": event_name,
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": REGION,
                "dynamodb": {
                    "ApproximateCreationDateTime": FIRST_ARRIVAL + 1 + i,
                    "Keys": {"PK": _s(batch), "SK": _s(record_id)},
                    "NewImage": new_image,
                    "SequenceNumber": sequence,
                    "SizeBytes": len(json.dumps(new_image)),
                    "StreamViewType": "NEW_IMAGE",
                },
                "eventSourceARN": TABLE_STREAM_ARN,
            }
        )
    return {"Records": records}


EVENTS: dict[str, Callable[[], dict[str, Any]]] = {
    "kinesis-single.json": lambda: valid_batch(1, "batch-single"),
    "kinesis-batch.json": lambda: valid_batch(100, "batch-typical"),
    "kinesis-max-batch.json": lambda: valid_batch(1000, "batch-max"),
    "kinesis-large-records.json": large_records,
    "kinesis-malformed.json": malformed,
    "dynamodb-stream-listener.json": dynamodb_stream_listener,
}


def main() -> None:
    for name, build in EVENTS.items():
        text = json.dumps(build(), indent=2) + "\n"
        if len(text.encode()) > LAMBDA_MAX_PAYLOAD_BYTES:
            raise SystemExit(f"{name} exceeds Lambda's 6 MB invoke payload")
        (HERE / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
