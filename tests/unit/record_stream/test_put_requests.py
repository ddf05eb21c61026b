"""Put requests written as JSON text are the bytes botocore's own serialiser makes of the same
parameters (the serialiser of a boto3 client's service model, as the client would send them)."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.serialize import create_serializer
from hypothesis import given, settings
from hypothesis import strategies as st

from record_stream.dal.item_attributes import processed_item_attributes
from record_stream.dal.put_requests import (
    batch_write_body,
    processed_put_request,
    put_request_json,
)
from record_stream.logic.processed_items import ProcessedItem

_CLIENT = boto3.client("dynamodb", region_name="us-east-1")
# Without botocore's parameter validation: it refuses what DynamoDB would (an empty table name),
# and these tests are about the bytes.
_SERIALIZER = create_serializer(
    _CLIENT.meta.service_model.metadata["protocol"], include_validation=False
)
_OPERATION = _CLIENT.meta.service_model.operation_model("BatchWriteItem")

# Every code point, lone surrogates included (JSON escapes them; the stream can carry them in
# provenance fields), with extra weight on what JSON escapes.
_TEXT = st.text(
    alphabet=st.characters(codec=None) | st.sampled_from('"\\/\b\f\n\r\t\x00\x1f\x7f\u2028é🧪'),
    max_size=20,
)
_INTS = st.integers(min_value=-(2**63), max_value=2**63)


def _botocore_body(table_name: str, items: list[dict[str, Any]]) -> bytes:
    request = _SERIALIZER.serialize_to_request(
        {"RequestItems": {table_name: [{"PutRequest": {"Item": item}} for item in items]}},
        _OPERATION,
    )
    body: bytes = request["body"]
    return body


_PROCESSED = st.builds(
    ProcessedItem,
    batch=_TEXT,
    id=_TEXT,
    arrival_ms=_INTS,
    processed_ms=_INTS,
    shard_id=_TEXT,
    sequence_number=_TEXT,
)


@settings(max_examples=300, deadline=None)
@given(table_name=_TEXT, items=st.lists(_PROCESSED, max_size=25))
def test_processed_put_requests_are_what_botocore_sends(
    table_name: str, items: list[ProcessedItem]
) -> None:
    body = batch_write_body(table_name, [processed_put_request(item) for item in items])
    assert body == _botocore_body(table_name, [processed_item_attributes(i) for i in items])


_ATTRIBUTE_MAPS = st.dictionaries(
    _TEXT,
    st.builds(lambda s: {"S": s}, _TEXT) | st.builds(lambda n: {"N": str(n)}, _INTS),
    max_size=8,
)


@settings(max_examples=300, deadline=None)
@given(table_name=_TEXT, items=st.lists(_ATTRIBUTE_MAPS, max_size=25))
def test_any_string_item_put_request_is_what_botocore_sends(
    table_name: str, items: list[dict[str, dict[str, str]]]
) -> None:
    body = batch_write_body(table_name, [put_request_json(item) for item in items])
    assert body == _botocore_body(table_name, items)
