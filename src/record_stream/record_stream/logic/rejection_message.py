"""The JSON body sent to the rejected-records queue for a record that can never be processed."""

from __future__ import annotations

import json

from record_stream.logic.kinesis_records import RejectedRecord

MAX_MESSAGE_BYTES = 256 * 1024
"""SQS's classic message size limit; every queue accepts it, whatever its MaximumMessageSize."""


def rejection_message(record: RejectedRecord, max_bytes: int = MAX_MESSAGE_BYTES) -> str:
    """Body with the raw data (base64), provenance and reason; ASCII-only JSON.

    A record too large for one message (Kinesis allows 1 MiB) keeps the first part of its data,
    marked `data_truncated`; the whole record stays readable in the stream by shard id and
    sequence number during the stream's retention.
    """
    body: dict[str, object] = {
        "reason": record.reason.value,
        "detail": record.detail,
        "shard_id": record.shard_id,
        "sequence_number": record.sequence_number,
        "partition_key": record.partition_key,
        "event_source_arn": record.event_source_arn,
        "arrival_ms": record.arrival_ms,
        "data_truncated": False,
        "data_base64": record.data_base64,
    }
    # ensure_ascii: escapes everything outside ASCII (even lone surrogates), so the body only
    # holds characters SQS accepts and its length in characters equals its size in bytes.
    text = json.dumps(body, ensure_ascii=True)
    if len(text) <= max_bytes:
        return text
    body["data_truncated"] = True
    keep = len(record.data_base64)
    while len(text) > max_bytes and keep > 0:
        # Drop at least the overflow (an escaped character is never shorter than the raw one),
        # in whole base64 quanta so the kept prefix of valid base64 still decodes.
        overflow = len(text) - max_bytes
        keep = max(0, (keep - overflow) // 4 * 4)
        body["data_base64"] = record.data_base64[:keep]
        text = json.dumps(body, ensure_ascii=True)
    return text
