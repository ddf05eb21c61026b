"""The ``$context`` of one request: ids, times, stage, identity, as API Gateway fills them.

The same values appear as ``requestContext`` in the Lambda proxy event, as ``$context`` in
mapping templates and in gateway response templates (with ``error`` filled in).
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from localcloud.apigw.http_types import IncomingRequest
from localcloud.apigw.sigv4 import CallerIdentity


@dataclass(frozen=True)
class RequestIds:
    request_id: str
    extended_request_id: str
    trace_id: str
    received_at: datetime

    @classmethod
    def new(cls) -> RequestIds:
        now = datetime.now(UTC)
        return cls(
            request_id=str(uuid.uuid4()),
            # API Gateway's extended ids look like "Xyz12AbCdEFg=": 12 base64 characters.
            extended_request_id=base64.b64encode(os.urandom(9)).decode(),
            trace_id=f"Root=1-{int(now.timestamp()):08x}-{os.urandom(12).hex()}",
            received_at=now,
        )


def _identity(request: IncomingRequest, caller: CallerIdentity | None) -> dict[str, Any]:
    return {
        "cognitoIdentityPoolId": None,
        "accountId": caller.account_id if caller else None,
        "cognitoIdentityId": None,
        "caller": caller.caller if caller else None,
        "sourceIp": request.source_ip,
        "principalOrgId": None,
        "accessKey": caller.access_key if caller else None,
        "cognitoAuthenticationType": None,
        "cognitoAuthenticationProvider": None,
        "userArn": caller.user_arn if caller else None,
        "userAgent": request.header("User-Agent"),
        "user": caller.user if caller else None,
    }


def build_request_context(
    request: IncomingRequest,
    ids: RequestIds,
    *,
    account_id: str,
    api_id: str,
    stage: str,
    resource_path: str | None,
    resource_id: str | None,
    path: str,
    caller: CallerIdentity | None,
) -> dict[str, Any]:
    """The proxy event's ``requestContext`` (also the base of ``$context``)."""
    host = request.header("Host") or ""
    return {
        "resourceId": resource_id,
        "resourcePath": resource_path,
        "httpMethod": request.method.upper(),
        "extendedRequestId": ids.extended_request_id,
        "requestTime": ids.received_at.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "path": f"/{stage}{path}",
        "accountId": account_id,
        "protocol": request.protocol,
        "stage": stage,
        "domainPrefix": host.split(".", 1)[0].split(":", 1)[0],
        "requestTimeEpoch": int(ids.received_at.timestamp() * 1000),
        "requestId": ids.request_id,
        "identity": _identity(request, caller),
        "domainName": host,
        "deploymentId": None,
        "apiId": api_id,
    }


def with_error(
    context: dict[str, Any],
    *,
    message: str,
    response_type: str,
    validation_error: str | None = None,
) -> dict[str, Any]:
    """``$context`` for a gateway response: the request context plus ``error``."""
    return {
        **context,
        "error": {
            "message": message,
            # messageString is the quoted form gateway response templates embed as JSON.
            "messageString": f'"{escape_json_string(message)}"',
            "responseType": response_type,
            "validationErrorString": escape_json_string(validation_error or ""),
        },
    }


def escape_json_string(text: str) -> str:
    """``text`` escaped for use inside a JSON string literal (without the quotes)."""
    return json.dumps(text, ensure_ascii=False)[1:-1]
