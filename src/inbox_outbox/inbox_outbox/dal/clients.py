"""boto3 clients, created on first use and then reused for the life of the container.

boto3 is imported here, lazily, so importing a handler stays cheap (boto3/botocore is the
heaviest import of the package); the first invoke pays it once. The endpoint comes from the
standard AWS_ENDPOINT_URL* variables, which is how the local cloud points the code at moto.
(The same module, built the same way, as record_stream/dal/clients.py.)
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # stubs are a dev dependency; the runtime only needs boto3
    from mypy_boto3_sqs import SQSClient


def _config() -> Any:
    from botocore.config import Config  # noqa: PLC0415 - lazy: see module docstring

    # Standard retry mode backs off on throttling; the read timeout stays above the longest
    # receive wait SQS allows (20 s) so a long-poll is never cut short by the client.
    return Config(
        retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3, read_timeout=25
    )


@cache
def sqs_client() -> SQSClient:
    import boto3  # noqa: PLC0415 - lazy: see module docstring

    return boto3.client("sqs", config=_config())
