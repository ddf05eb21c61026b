"""BatchWriteItem put requests as the JSON text botocore's serialiser would send for them.

botocore's JSON protocol writes a request as ``json.dumps(params)``: default separators
(``", "``, ``": "``), non-ASCII and control characters escaped (``ensure_ascii``), keys in the
order given. For items of S and N attributes (all this package writes) that text is built here
directly, one put request per item, from the item's values: no nested attribute-value dicts, no
walk of them by the encoder. Joined, they are byte for byte the body botocore's serialiser makes
of the same parameters (a property test checks it against botocore's own serialiser), and a retry
resends an item's text as built. Strings are escaped by json's own C escaper, the one json.dumps
calls.
"""

from __future__ import annotations

from collections.abc import Iterable
from json.encoder import encode_basestring_ascii
from typing import NewType

from record_stream.dal.item_attributes import PARTITION_KEY, SORT_KEY, AttributeMap
from record_stream.logic.processed_items import ProcessedItem

PutRequestJson = NewType("PutRequestJson", str)
"""``{"PutRequest": {"Item": {...}}}`` as JSON text, ASCII only."""

_quote = encode_basestring_ascii  # "text" -> '"text"', escaped as json.dumps escapes it


def put_request_json(item: AttributeMap) -> PutRequestJson:
    """Any item in attribute-value form whose values are strings (S, N)."""
    attributes = ", ".join(
        f"{_quote(name)}: {{{_quote(kind)}: {_quote(value)}}}"
        for name, typed in item.items()
        for kind, value in typed.items()
    )
    return PutRequestJson(f'{{"PutRequest": {{"Item": {{{attributes}}}}}}}')


def processed_put_request(item: ProcessedItem) -> PutRequestJson:
    """processed_item_attributes(item)'s put request, its attributes in the same order."""
    return PutRequestJson(
        f'{{"PutRequest": {{"Item": {{"{PARTITION_KEY}": {{"S": {_quote(item.batch)}}}, '
        f'"{SORT_KEY}": {{"S": {_quote(item.id)}}}, '
        f'"arrival_ms": {{"N": "{item.arrival_ms:d}"}}, '
        f'"processed_ms": {{"N": "{item.processed_ms:d}"}}, '
        f'"shard_id": {{"S": {_quote(item.shard_id)}}}, '
        f'"sequence_number": {{"S": {_quote(item.sequence_number)}}}}}}}}}'
    )


def batch_write_body(table_name: str, put_requests: Iterable[PutRequestJson]) -> bytes:
    """The request body of ``batch_write_item(RequestItems={table_name: [...]})``."""
    joined = ", ".join(put_requests)
    return f'{{"RequestItems": {{{_quote(table_name)}: [{joined}]}}}}'.encode("ascii")
