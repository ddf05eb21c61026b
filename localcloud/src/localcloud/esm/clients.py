"""boto3 clients for the moto server the pollers read from and report to."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config

# The local cloud's fixed credentials (see the local-cloud contract): moto accepts any, but
# signing with the documented pair keeps every client of the local cloud alike.
LOCAL_ACCESS_KEY_ID = "localcloud"
LOCAL_SECRET_ACCESS_KEY = "localcloud-secret"  # noqa: S105 - a fixed local, non-secret value

# Pollers retry on their own schedule; botocore's hidden retries would only stretch stop().
_CONFIG = Config(
    retries={"max_attempts": 2, "mode": "standard"},
    connect_timeout=5,
    read_timeout=30,
    max_pool_connections=20,
)


class AwsClients:
    """Makes clients bound to one endpoint and region. boto3 clients are thread-safe."""

    def __init__(self, endpoint_url: str, region: str) -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        self._session = boto3.session.Session(
            aws_access_key_id=LOCAL_ACCESS_KEY_ID,
            aws_secret_access_key=LOCAL_SECRET_ACCESS_KEY,
            region_name=region,
        )

    def client(self, service: str) -> Any:
        # The service is a runtime string, so the typed per-service overloads do not apply.
        make: Callable[..., Any] = self._session.client
        return make(service, endpoint_url=self.endpoint_url, config=_CONFIG)
