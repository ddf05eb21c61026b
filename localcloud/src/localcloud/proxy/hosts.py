"""Which local upstream answers for a host the proxy is asked to reach.

``{api}.execute-api.{region}.amazonaws.com`` goes to the API front (the Host header is kept, so
the front's host routing picks the API); every other ``*.amazonaws.com`` (``.com.cn``) host — SQS,
DynamoDB, Kinesis, CloudFormation, STS, S3 virtual hosts, ... — to the moto port, whose
dispatcher picks the service from the host. Anything else is refused: the proxy never reaches
the internet.
"""

from __future__ import annotations

import re
from enum import Enum

from localcloud.apigw.targets import api_id_of_host

_AWS_HOST = re.compile(r"^(?:[a-z0-9-]+\.)*amazonaws\.com(?:\.cn)?\.?$", re.IGNORECASE)


class Upstream(Enum):
    API_FRONT = "api front"
    MOTO = "moto"


def upstream_for(host: str) -> Upstream | None:
    """The upstream of a host name (no port), or None when it is not an AWS host."""
    if not _AWS_HOST.match(host):
        return None
    return Upstream.API_FRONT if api_id_of_host(host) else Upstream.MOTO
