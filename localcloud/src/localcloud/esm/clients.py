"""boto3 clients for the moto server the pollers read from and report to."""

from __future__ import annotations

from typing import Any

from botocore.config import Config

from localcloud.clients import local_client, local_session

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
        self._session = local_session(region)

    def client(self, service: str) -> Any:
        return local_client(service, self.endpoint_url, self.region, _CONFIG, self._session)
