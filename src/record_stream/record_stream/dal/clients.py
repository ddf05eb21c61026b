"""boto3 clients, created on first use and then reused for the life of the container.

boto3 is imported here, lazily, so importing a handler stays cheap (boto3/botocore is the
heaviest import of the package); the first invoke pays it once. The endpoint comes from the
standard AWS_ENDPOINT_URL* variables, which is how the local cloud points the code at moto.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Sequence

    from boto3.session import Session
    from mypy_boto3_sqs import SQSClient

    from record_stream.dal.batch_write_call import SignedBatchWriteItem
    from record_stream.dal.put_requests import PutRequestJson


class DynamoDBBatchWriteClient(Protocol):
    """The one DynamoDB operation this package calls (typed here: no DynamoDB stubs pinned)."""

    def put_items(self, table_name: str, put_requests: Sequence[PutRequestJson]) -> dict[str, Any]:
        """BatchWriteItem of up to 25 puts; returns UnprocessedItems the caller must resend."""
        ...


def _config(max_pool_connections: int) -> Any:
    from botocore.config import Config  # noqa: PLC0415 - lazy: see module docstring

    # Standard retry mode retries throttling and 5xx with backoff inside botocore; our own
    # retries handle UnprocessedItems, which DynamoDB returns with HTTP 200.
    return Config(
        retries={"mode": "standard", "max_attempts": 3},
        connect_timeout=5,
        read_timeout=10,
        max_pool_connections=max_pool_connections,
    )


def _session() -> Session:
    """boto3's default session, as ``boto3.client`` uses: one per container, so the service
    models, endpoint rules and retry config it loads (most of a client's creation cost) are read
    once for both clients rather than once per session."""
    import boto3  # noqa: PLC0415 - lazy: see module docstring

    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    session = boto3.DEFAULT_SESSION
    assert session is not None  # set up just above
    return session


@cache
def dynamodb_client(max_pool_connections: int = 10) -> SignedBatchWriteItem:
    """BatchWriteItem through the boto3 client's endpoint, credentials, retry config and event
    hooks, without its per-call CPU (see dal/batch_write_call.py); one per pool size, which must
    fit the writer's threads (botocore's default pool is 10)."""
    from record_stream.dal.batch_write_call import SignedBatchWriteItem  # noqa: PLC0415

    pool = max(10, max_pool_connections)
    session = _session()
    client = session.client("dynamodb", config=_config(pool))
    return SignedBatchWriteItem(client, session.get_credentials(), pool)


@cache
def sqs_client() -> SQSClient:
    return _session().client("sqs", config=_config(10))
