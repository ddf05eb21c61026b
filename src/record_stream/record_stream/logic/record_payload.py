"""Validation of one Kinesis record's data: a UTF-8 JSON object {"batch": str, "id": str}.

Rules (each failure names the reason a record is rejected rather than retried):
- the bytes must be strict UTF-8 and a JSON object (a BOM is not JSON and is rejected);
- whatever Python's parser refuses is invalid JSON, however it refuses: an integer of more than
  4300 digits (ValueError), nesting deeper than its recursion limit (RecursionError), anything
  else it raises; so are the NaN, Infinity and -Infinity tokens it would accept (not JSON);
- a name that occurs twice in an object is not an error: the last one wins, as in Python's json,
  JavaScript's JSON.parse, Jackson and pydantic's parser (RFC 8259 leaves it to the parser, and
  these all agree);
- `batch` and `id` must be present, JSON strings (numbers are not coerced), non-empty, valid
  Unicode (no lone surrogates, which DynamoDB cannot store) and within DynamoDB's key limits:
  partition key 2048 bytes, sort key 1024 bytes, both measured in UTF-8;
- any other field is allowed and ignored: producers may add fields without breaking the
  pipeline, and the processed item stores only the key (plus timing and provenance).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import NoReturn

PARTITION_KEY_MAX_BYTES = 2048
SORT_KEY_MAX_BYTES = 1024


class RejectReason(StrEnum):
    """Stable, machine-readable codes of why a record can never be processed."""

    INVALID_ENVELOPE = "invalid_envelope"
    INVALID_BASE64 = "invalid_base64"
    INVALID_UTF8 = "invalid_utf8"
    INVALID_JSON = "invalid_json"
    NOT_AN_OBJECT = "not_an_object"
    INVALID_FIELD = "invalid_field"
    KEY_TOO_LONG = "key_too_long"


class InvalidRecordError(ValueError):
    """The record's data breaks the contract; retrying it can never succeed."""

    def __init__(self, reason: RejectReason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(slots=True)  # not frozen: see logic/__init__.py
class RecordPayload:
    """The two fields the pipeline uses; `batch` is the partition key, `id` the sort key."""

    batch: str
    id: str


# (field, DynamoDB key role, byte limit)
_KEY_FIELDS = (
    ("batch", "partition key", PARTITION_KEY_MAX_BYTES),
    ("id", "sort key", SORT_KEY_MAX_BYTES),
)


def parse_payload(data: bytes) -> RecordPayload:
    """Decode and validate a record's (already base64-decoded) data, or raise InvalidRecordError."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidRecordError(
            RejectReason.INVALID_UTF8, f"data is not UTF-8 (byte {error.start})"
        ) from None
    document = _parse_json(text)
    if not isinstance(document, dict):
        raise InvalidRecordError(
            RejectReason.NOT_AN_OBJECT,
            f"data is JSON {type(document).__name__}, expected an object",
        )
    values = [_key_value(document, field, role, limit) for field, role, limit in _KEY_FIELDS]
    return RecordPayload(batch=values[0], id=values[1])


def _reject_non_finite(token: str) -> NoReturn:
    raise ValueError(f"{token} is not a JSON value")


# One decoder for every record: json.loads(text, parse_constant=...) builds a new one per call.
_DECODER = json.JSONDecoder(parse_constant=_reject_non_finite)


def _parse_json(text: str) -> object:
    """The JSON value of `text`; every way the parser can fail is an InvalidRecordError."""
    try:
        return _DECODER.decode(text)
    except RecursionError:
        detail = "data is nested too deeply to parse"
    except ValueError as error:  # JSONDecodeError, the int digit limit, NaN/Infinity
        detail = f"data is not JSON: {error}"
    # The record is hostile input: any other refusal of the parser is still a bad record, never
    # an exception that fails (and retries) its whole batch.
    except Exception as error:
        detail = f"data could not be parsed as JSON ({type(error).__name__})"
    raise InvalidRecordError(RejectReason.INVALID_JSON, detail)


def _key_value(document: dict[str, object], field: str, role: str, max_bytes: int) -> str:
    if field not in document:
        raise InvalidRecordError(RejectReason.INVALID_FIELD, f"field {field!r} is missing")
    value = document[field]
    if not isinstance(value, str):
        raise InvalidRecordError(
            RejectReason.INVALID_FIELD,
            f"field {field!r} must be a string, got {type(value).__name__}",
        )
    if not value:
        raise InvalidRecordError(RejectReason.INVALID_FIELD, f"field {field!r} is empty")
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidRecordError(
            RejectReason.INVALID_FIELD,
            f"field {field!r} holds a lone surrogate (not valid Unicode)",
        ) from None
    if size > max_bytes:
        raise InvalidRecordError(
            RejectReason.KEY_TOO_LONG,
            f"field {field!r} is {size} bytes in UTF-8; the DynamoDB {role} limit is {max_bytes}",
        )
    return value
