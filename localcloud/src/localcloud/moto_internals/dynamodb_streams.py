"""DynamoDB Streams GetRecords read from moto's backend in this process, not through its HTTP API.

Why: a DynamoDB stream poller reads every record the processed table takes, and over HTTP each
one costs the local cloud ~0.45 ms of CPU (the issue 16 profile: moto's shape-walking response
serialiser, then botocore's shape-walking parser in the poller, both under the one GIL), several
times what moto spends storing the write that made it. The backend's ``get_records`` gives the
same records as plain data before either runs, at ~1/100 of the cost (bench/README.md).

It is what the HTTP call would do: moto's own ``DynamoDBStreamsBackend.get_records`` (the method
its ``GetRecords`` handler calls), under the DynamoDB service lock that request would take
(``serial``: DynamoDB Streams signs as ``dynamodb`` and shares the writes' lock). The records are
moto's own dicts: callers copy before they change anything. ``ApproximateCreationDateTime`` is
the naive UTC datetime moto stores (the HTTP answer carries it as epoch seconds).
"""

from __future__ import annotations

from typing import Any

from moto.dynamodbstreams.models import dynamodbstreams_backends

from localcloud.moto_internals.serial import service_lock


class UnknownIteratorError(LookupError):
    """moto holds no such shard iterator (over HTTP moto answers this with a 500)."""


def _backend(stream_arn: str) -> Any:
    # arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL
    _, _, _, region, account, _ = stream_arn.split(":", 5)
    return dynamodbstreams_backends[account][region]


def stream_is_here(stream_arn: str) -> bool:
    """Whether this process's moto holds the stream (so its records can be read directly)."""
    try:
        with service_lock("dynamodb"):
            _backend(stream_arn).describe_stream(stream_arn)
    except Exception:  # a malformed or foreign ARN, or no such table: not here
        return False
    return True


def get_records(stream_arn: str, iterator: str, limit: int) -> dict[str, Any]:
    """GetRecords' answer ({"Records", "NextShardIterator"}) as moto's backend builds it."""
    with service_lock("dynamodb"):
        backend = _backend(stream_arn)
        if iterator not in backend.shard_iterators:
            raise UnknownIteratorError(iterator)
        page: dict[str, Any] = backend.get_records(iterator, limit)
        return page
