"""The one boto3 SQS client of the container, created on first use."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

if TYPE_CHECKING:  # stubs are a dev dependency; the runtime only needs boto3
    from mypy_boto3_sqs import SQSClient

# Standard retry mode backs off on throttling; the read timeout stays above the longest receive
# wait SQS allows (20 s) so a long-poll is never cut short by the client.
_CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=3,
    read_timeout=25,
)


@cache
def sqs_client() -> SQSClient:
    """Created lazily (not at import) so tests and the local cloud can set the endpoint first."""
    return boto3.client("sqs", config=_CLIENT_CONFIG)
