"""Pure rules of a record's data: what is a valid {batch, id} and why the rest is rejected."""

from __future__ import annotations

import pytest

from record_stream.logic.record_payload import (
    PARTITION_KEY_MAX_BYTES,
    SORT_KEY_MAX_BYTES,
    InvalidRecordError,
    RecordPayload,
    RejectReason,
    parse_payload,
)

VALID = [
    (b'{"batch":"b1","id":"i1"}', RecordPayload("b1", "i1")),
    (b'{"batch":"b1","id":"i1","extra":{"ignored":true},"n":3}', RecordPayload("b1", "i1")),
    (b' \n{"id":"i1","batch":"b1"}\n ', RecordPayload("b1", "i1")),
    ('{"batch":"lot-é中","id":"😀"}'.encode(), RecordPayload("lot-é中", "😀")),
    (b'{"batch":"\\u00e9","id":"x"}', RecordPayload("é", "x")),
    (b'{"batch":" ","id":" "}', RecordPayload(" ", " ")),
    (
        (
            '{"batch":"'
            + "b" * PARTITION_KEY_MAX_BYTES
            + '","id":"'
            + "é" * (SORT_KEY_MAX_BYTES // 2)
            + '"}'
        ).encode(),
        RecordPayload("b" * PARTITION_KEY_MAX_BYTES, "é" * (SORT_KEY_MAX_BYTES // 2)),
    ),
]

INVALID = [
    (b"\xff\xfe", RejectReason.INVALID_UTF8),
    ('{"batch":"café","id":"1"}'.encode("latin-1"), RejectReason.INVALID_UTF8),
    (b"", RejectReason.INVALID_JSON),
    (b"batch=1,id=2", RejectReason.INVALID_JSON),
    (b'{"batch":"b","id":', RejectReason.INVALID_JSON),
    (b'\xef\xbb\xbf{"batch":"b","id":"i"}', RejectReason.INVALID_JSON),
    (b"[1,2]", RejectReason.NOT_AN_OBJECT),
    (b'"text"', RejectReason.NOT_AN_OBJECT),
    (b"42", RejectReason.NOT_AN_OBJECT),
    (b"null", RejectReason.NOT_AN_OBJECT),
    (b'{"id":"i"}', RejectReason.INVALID_FIELD),
    (b'{"batch":"b"}', RejectReason.INVALID_FIELD),
    (b'{"batch":"","id":"i"}', RejectReason.INVALID_FIELD),
    (b'{"batch":"b","id":""}', RejectReason.INVALID_FIELD),
    (b'{"batch":1,"id":"i"}', RejectReason.INVALID_FIELD),
    (b'{"batch":"b","id":2}', RejectReason.INVALID_FIELD),
    (b'{"batch":"b","id":null}', RejectReason.INVALID_FIELD),
    (b'{"batch":"b","id":true}', RejectReason.INVALID_FIELD),
    (b'{"batch":["b"],"id":"i"}', RejectReason.INVALID_FIELD),
    (b'{"batch":"b","id":"\\ud800"}', RejectReason.INVALID_FIELD),
    (
        ('{"batch":"' + "b" * (PARTITION_KEY_MAX_BYTES + 1) + '","id":"i"}').encode(),
        RejectReason.KEY_TOO_LONG,
    ),
    # 1025 bytes in UTF-8 although only 513 characters.
    (('{"batch":"b","id":"' + "é" * 512 + 'x"}').encode(), RejectReason.KEY_TOO_LONG),
    (
        ('{"batch":"b","id":"' + "x" * (SORT_KEY_MAX_BYTES + 1) + '"}').encode(),
        RejectReason.KEY_TOO_LONG,
    ),
]


@pytest.mark.parametrize(("data", "expected"), VALID)
def test_valid_payloads(data: bytes, expected: RecordPayload) -> None:
    assert parse_payload(data) == expected


@pytest.mark.parametrize(("data", "reason"), INVALID)
def test_invalid_payloads_name_their_reason(data: bytes, reason: RejectReason) -> None:
    with pytest.raises(InvalidRecordError) as caught:
        parse_payload(data)
    assert caught.value.reason is reason
    assert caught.value.detail


def test_missing_field_detail_names_the_field() -> None:
    with pytest.raises(InvalidRecordError, match="'id' is missing"):
        parse_payload(b'{"batch":"b"}')
