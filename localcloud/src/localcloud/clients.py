"""boto3 clients of the local cloud: its endpoint and region, signed with the local credentials.

The one place that builds them, so every client of the local cloud signs alike (the API front and
the service scopes read the signature) and none picks up the machine's AWS configuration.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config

from localcloud.config import ACCESS_KEY_ID, SECRET_ACCESS_KEY


def local_client(service: str, endpoint_url: str, region: str, config: Config | None = None) -> Any:
    # A session of its own: boto3's default session is not safe to share between the threads
    # (pollers, API front) that make clients. The service is a runtime string, so boto3's typed
    # per-service overloads do not apply.
    session = boto3.session.Session(
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
        region_name=region,
    )
    make: Callable[..., Any] = session.client
    return make(service, endpoint_url=endpoint_url, config=config)
