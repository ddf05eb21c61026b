"""Error documents as each service writes them, in the request's protocol (JSON or query XML)."""

from __future__ import annotations

import json
import uuid
from xml.sax.saxutils import escape

from localcloud.faults.rules import AwsCall, FaultRule

_JSON_NAMESPACES = {
    "dynamodb": "com.amazonaws.dynamodb.v20120810",
    "sqs": "com.amazonaws.sqs",
}
# (status, code, message) by service and kind, as the services send them.
_DEFAULT_ERRORS: dict[tuple[str, str], tuple[int, str, str]] = {
    ("dynamodb", "throttle"): (
        400,
        "ProvisionedThroughputExceededException",
        "The level of configured provisioned throughput for the table was exceeded. "
        "Consider increasing your provisioning level with the UpdateTable API.",
    ),
    ("dynamodb", "error"): (500, "InternalServerError", "Internal server error"),
    ("sqs", "throttle"): (400, "RequestThrottled", "Request is throttled."),
    ("*", "throttle"): (400, "ThrottlingException", "Rate exceeded"),
    ("*", "error"): (
        500,
        "InternalFailure",
        "The request processing has failed because of an unknown error, exception or failure.",
    ),
}
_CODE_NAMESPACES = {
    "ThrottlingException": "com.amazon.coral.availability",
    "InternalFailure": "com.amazon.coral.service",
}
_STATUS_TEXT = {
    400: "Bad Request",
    403: "Forbidden",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def error_response(rule: FaultRule, call: AwsCall) -> tuple[str, list[tuple[str, str]], bytes]:
    status, code, message = _DEFAULT_ERRORS.get(
        (call.service, rule.kind), _DEFAULT_ERRORS[("*", rule.kind)]
    )
    status, code, message = rule.status or status, rule.code or code, rule.message or message
    if rule.code == "ThrottlingException" and rule.message is None:
        message = "Rate of requests exceeds the allowed throughput."
    request_id = str(uuid.uuid4())
    status_line = f"{status} {_STATUS_TEXT.get(status, 'Error')}"
    fault = "Sender" if status < 500 else "Receiver"
    if call.protocol == "query":
        body = (
            '<?xml version="1.0"?><ErrorResponse><Error>'
            f"<Type>{fault}</Type><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
            f"<Detail/></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        return status_line, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], body
    namespace = _CODE_NAMESPACES.get(code) or _JSON_NAMESPACES.get(
        call.service, "com.amazon.coral.service"
    )
    headers = [
        ("Content-Type", "application/x-amz-json-1.0"),
        ("x-amzn-RequestId", request_id),
    ]
    if call.service == "sqs":
        # SQS's JSON protocol is query-compatible: clients read the query error code from here.
        headers.append(("x-amzn-query-error", f"{code};{fault}"))
    body = json.dumps({"__type": f"{namespace}#{code}", "message": message}).encode()
    return status_line, headers, body
