"""boto3 clients of the local cloud: its endpoint and region, signed with the local credentials.

The one place that builds them, so every client of the local cloud signs alike (the API front and
the service scopes read the signature) and none picks up the machine's AWS configuration.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config

from localcloud.config import LOCAL_CREDENTIALS


def local_session(
    region: str, credentials: tuple[str, str] = LOCAL_CREDENTIALS
) -> boto3.session.Session:
    """A session of its own (never boto3's shared default one), signing with ``credentials``:
    the local ones unless a caller was handed others (the API front is told its keys)."""
    return boto3.session.Session(
        aws_access_key_id=credentials[0],
        aws_secret_access_key=credentials[1],
        region_name=region,
    )


def local_client(
    service: str,
    endpoint_url: str,
    region: str,
    config: Config | None = None,
    session: boto3.session.Session | None = None,
    *,
    credentials: tuple[str, str] = LOCAL_CREDENTIALS,
) -> Any:
    """A client of ``service`` at ``endpoint_url``; from ``session`` when the caller keeps one
    (the pollers do), else from a session of its own rather than boto3's shared default one."""
    # The service is a runtime string, so boto3's typed per-service overloads do not apply.
    make: Callable[..., Any] = (session or local_session(region, credentials)).client
    return make(service, endpoint_url=endpoint_url, config=config)


# Marks the local cloud's own deploy calls (``create_stack`` with the template made for moto, its
# ``delete_stack``), which ``localcloud.stack_deployments`` lets through to moto.
DEPLOYER_USER_AGENT = "localcloud-deployer"


_deployer_clients: dict[tuple[str, str, str], Any] = {}
_deployer_clients_lock = threading.Lock()


def deployer_client(service: str, endpoint_url: str, region: str) -> Any:
    """A client of the local cloud's deploy pipeline (``localcloud.deploy``), made once: a deploy
    uses a dozen, and making one (loading botocore's models) costs more than its calls."""
    key = (service, endpoint_url, region)
    with _deployer_clients_lock:
        client = _deployer_clients.get(key)
        if client is None:
            config = Config(user_agent_extra=DEPLOYER_USER_AGENT)
            client = _deployer_clients[key] = local_client(
                service, endpoint_url, region, config=config
            )
        return client
