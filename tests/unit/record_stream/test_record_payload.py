"""Pure rules of a record's data: what is a valid {batch, id} and why the rest is rejected."""

from __future__ import annotations

import json

import pytest

from record_stream.logic import record_payload
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


# What Python's JSON parser refuses, or turns into something that is not JSON, is a bad record
# like any other: rejected with a reason, never an exception that fails the whole batch.
NESTED_TOO_DEEPLY = b'{"batch":"b","id":"i","n":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
PARSER_REFUSALS = [
    # More digits than int() converts (sys.get_int_max_str_digits(): 4300) raises ValueError.
    pytest.param(b'{"batch":"b","id":"i","n":' + b"1" * 4301 + b"}", "integer", id="4301-digits"),
    pytest.param(b'{"batch":"b","id":' + b"9" * 10_000 + b"}", "integer", id="huge-int-id"),
    # Deeper than the parser's recursion limit raises RecursionError.
    pytest.param(NESTED_TOO_DEEPLY, "nested", id="deep-arrays"),
    pytest.param(
        b'{"batch":"b","id":"i","n":' + b'{"a":' * 100_000 + b"1" + b"}" * 100_000 + b"}",
        "nested",
        id="deep-objects",
    ),
    # NaN and Infinity are not JSON (RFC 8259 has no such tokens); Python's parser accepts them.
    pytest.param(b'{"batch":"b","id":"i","n":NaN}', "NaN", id="NaN"),
    pytest.param(b'{"batch":"b","id":"i","n":Infinity}', "Infinity", id="Infinity"),
    pytest.param(b'{"batch":"b","id":"i","n":[-Infinity]}', "-Infinity", id="-Infinity"),
    pytest.param(b'{"batch":NaN,"id":"i"}', "NaN", id="NaN-batch"),
]


@pytest.mark.parametrize(("data", "named"), PARSER_REFUSALS)
def test_what_the_parser_refuses_is_invalid_json(data: bytes, named: str) -> None:
    with pytest.raises(InvalidRecordError) as caught:
        parse_payload(data)
    assert caught.value.reason is RejectReason.INVALID_JSON
    assert named in caught.value.detail


def test_any_other_parser_failure_is_invalid_json_too(monkeypatch: pytest.MonkeyPatch) -> None:
    # No input is known to make the parser raise anything but ValueError or RecursionError; if
    # one ever does, the record is still rejected rather than failing its batch.
    class Exhausted(json.JSONDecoder):
        def decode(self, *args: object, **kwargs: object) -> object:
            raise MemoryError

    monkeypatch.setattr(record_payload, "_DECODER", Exhausted())
    with pytest.raises(InvalidRecordError) as caught:
        parse_payload(b'{"batch":"b","id":"i"}')
    assert caught.value.reason is RejectReason.INVALID_JSON
    assert "MemoryError" in caught.value.detail


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        # Duplicate names: the last one wins, as in Python's json, JavaScript's JSON.parse,
        # Jackson and pydantic's parser (the inbox's API Gateway validator reads them so too).
        (b'{"batch":"first","id":"i","batch":"last"}', RecordPayload("last", "i")),
        (b'{"batch":"b","id":"","id":"i"}', RecordPayload("b", "i")),
        (b'{"batch":"b","id":"i","x":{"y":1,"y":2}}', RecordPayload("b", "i")),
        # Ignored fields may hold anything the parser reads: the item stores only the key.
        (b'{"batch":"b","id":"i","n":' + b"1" * 4300 + b"}", RecordPayload("b", "i")),
        (b'{"batch":"b","id":"i","n":1e999}', RecordPayload("b", "i")),  # a number, beyond double
        (b'{"batch":"b","id":"i","n":' + b"[" * 500 + b"]" * 500 + b"}", RecordPayload("b", "i")),
        (b'{"batch":"b","id":"i","note":"\\ud800"}', RecordPayload("b", "i")),
        (b'{"batch":"b","id":"i","pad":"' + b"x" * 900_000 + b'"}', RecordPayload("b", "i")),
    ],
    ids=lambda v: str(v)[:40],
)
def test_duplicate_names_and_odd_ignored_fields(data: bytes, expected: RecordPayload) -> None:
    assert parse_payload(data) == expected


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        # A lone surrogate cannot be a DynamoDB string key (strings are stored as UTF-8).
        (b'{"batch":"\\udfff","id":"i"}', RejectReason.INVALID_FIELD),
        (b'{"batch":"b","id":"x\\ud83d"}', RejectReason.INVALID_FIELD),
        # The same surrogate as raw bytes (CESU-8 style) is not UTF-8 at all.
        (b'{"batch":"b","id":"\xed\xa0\x80"}', RejectReason.INVALID_UTF8),
        # A huge string key is over DynamoDB's limit, however it is written.
        (b'{"batch":"' + b"b" * 900_000 + b'","id":"i"}', RejectReason.KEY_TOO_LONG),
        (b'{"batch":"b","id":"' + b"\\u00e9" * 100_000 + b'"}', RejectReason.KEY_TOO_LONG),
    ],
    ids=lambda v: str(v)[:40],
)
def test_lone_surrogates_and_huge_keys(data: bytes, reason: RejectReason) -> None:
    with pytest.raises(InvalidRecordError) as caught:
        parse_payload(data)
    assert caught.value.reason is reason
