"""Operations moto lacks: a non-retryable error in the service's own protocol, never HTML.

For an operation it does not implement (SQS ``ListMessageMoveTasks`` in moto 5.2.5, API Gateway
``TestInvokeMethod``, Kinesis ``SubscribeToShard``) or a service it lacks (Cloud Control), moto
answers HTTP 500 with werkzeug's HTML error page. SDKs read a 500 as a transient server fault
and retry it (boto3: 3 to 9 more times, with backoff) before the user sees a message that does
not say what is missing. This middleware, directly around moto, turns such an answer into a 400
that names the operation, written as the service writes errors:

- JSON protocols (``X-Amz-Target``): ``{"__type": "UnknownOperationException", "message"}``,
  and for SQS, whose JSON protocol is query-compatible, ``x-amzn-query-error: InvalidAction``;
- query protocols (``Action=``): ``<ErrorResponse><Error><Code>InvalidAction</Code>...``;
- REST protocols (API Gateway): ``x-amzn-ErrorType: UnknownOperationException`` and a JSON body.

A 500 for an operation moto does implement (a moto bug) stays a 500, written the same way with
``InternalFailure``: retrying may help, and the message says which call failed. The operation is
identified as moto identifies it (target header, ``Action`` or moto's REST router over
botocore's model), and "implemented" means moto's response class has the operation's method:
read in ``localcloud.moto_internals.operations``.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

import botocore.session

from localcloud.moto_internals.operations import moto_implements, rest_operation
from localcloud.moto_internals.serial import signing_service
from localcloud.wsgi import Environ, StartResponse, WsgiApp, read_body

log = logging.getLogger(__name__)

Reply = tuple[str, list[tuple[str, str]], bytes]
Protocol = Literal["json", "query", "rest"]

# botocore's name for a service whose SigV4 signing name differs (the rest are the same).
_SERVICE_BY_SIGNING_NAME = {"cloudcontrolapi": "cloudcontrol", "monitoring": "cloudwatch"}


@dataclass(frozen=True)
class Call:
    service: str  # botocore's service name
    operation: str | None
    protocol: Protocol
    content_type: str = "application/x-amz-json-1.0"  # of a JSON answer: as the request's

    @property
    def name(self) -> str:
        """``SQS.ListMessageMoveTasks``: the service as its SDK names it, then the operation."""
        return f"{_service_id(self.service)}.{self.operation or 'unknown operation'}"


@cache
def _service_id(service: str) -> str:
    try:
        model = botocore.session.get_session().get_service_model(service)
    except Exception:  # not a service botocore knows
        return service or "unknown service"
    return str(model.service_id).replace(" ", "")


class UnimplementedOperations:
    def __init__(self, app: WsgiApp) -> None:
        self.app = app

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        body = read_body(environ)
        try:
            status, headers, chunks = _run(self.app, environ)
        except Exception as error:  # moto found no backend at all (Cloud Control)
            log.info("moto raised for %s: %r", environ.get("PATH_INFO"), error)
            status, headers, chunks = (
                "500 INTERNAL SERVER ERROR",
                [("Content-Type", "text/html")],
                b"",
            )
        if not (status.startswith("500") and _is_html(headers)):
            start_response(status, headers)
            return [chunks]
        call = describe(environ, body)
        status, headers, chunks = _with_length(error_reply(call, implemented(call)))
        start_response(status, headers)
        return [chunks]


def _run(app: WsgiApp, environ: Environ) -> tuple[str, list[tuple[str, str]], bytes]:
    captured: dict[str, Any] = {}

    def capture(status: str, headers: list[tuple[str, str]], *_: Any) -> Callable[[bytes], None]:
        captured["status"], captured["headers"] = status, list(headers)
        return lambda _data: None

    result = app(environ, capture)
    try:
        data = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return captured["status"], captured["headers"], data


def _is_html(headers: list[tuple[str, str]]) -> bool:
    return any(k.lower() == "content-type" and "text/html" in v for k, v in headers)


def describe(environ: Environ, body: bytes) -> Call:
    """Which service and operation a request is for, and the protocol it speaks."""
    signing_name = signing_service(environ) or ""
    service = _SERVICE_BY_SIGNING_NAME.get(signing_name, signing_name)
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        content_type = environ.get("CONTENT_TYPE", "")
        if not content_type.startswith("application/x-amz-json"):
            content_type = "application/x-amz-json-1.0"
        return Call(service, target.rsplit(".", 1)[-1], "json", content_type)
    params = parse_qs(environ.get("QUERY_STRING", ""))
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        params.update(parse_qs(body.decode("utf-8", errors="replace")))
    if params.get("Action"):
        return Call(service, params["Action"][0], "query")
    return Call(service, rest_operation(service, environ, body), "rest")


def implemented(call: Call) -> bool:
    return call.operation is not None and moto_implements(call.service, call.operation)


def error_reply(call: Call, is_implemented: bool) -> Reply:
    request_id = str(uuid.uuid4())
    if is_implemented:
        status, fault = "500 Internal Server Error", "Receiver"
        code = "InternalFailure"
        message = f"moto failed on {call.name}; the local cloud's log has moto's traceback"
    else:
        status, fault = "400 Bad Request", "Sender"
        code = "InvalidAction" if call.protocol == "query" else "UnknownOperationException"
        message = f"localcloud does not implement {call.name}"
    log.warning("%s: %s", code, message)
    if call.protocol == "query":
        xml = (
            '<?xml version="1.0"?><ErrorResponse><Error>'
            f"<Type>{fault}</Type><Code>{code}</Code><Message>{escape(message)}</Message>"
            f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        return status, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], xml
    headers = [("x-amzn-RequestId", request_id)]
    if call.protocol == "rest":
        headers += [("Content-Type", "application/json"), ("x-amzn-ErrorType", code)]
        document = {"message": message}
    else:
        headers.append(("Content-Type", call.content_type))
        document = {"__type": code, "message": message}
        if call.service == "sqs":
            query_code = "InvalidAction" if code == "UnknownOperationException" else code
            headers.append(("x-amzn-query-error", f"{query_code};{fault}"))
    return status, headers, json.dumps(document).encode()


def _with_length(reply: Reply) -> Reply:
    status, headers, body = reply
    return status, [*headers, ("Content-Length", str(len(body)))], body
