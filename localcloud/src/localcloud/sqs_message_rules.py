"""An SQS rule moto 5.2.5 does not apply: a message body may hold only XML's characters.

SQS refuses ``SendMessage`` with any character outside ``#x9 | #xA | #xD | #x20-#xD7FF |
#xE000-#xFFFD | #x10000-#x10FFFF``: HTTP 400 ``InvalidMessageContents``. moto queues such a body,
so locally a message AWS would refuse (a JSON string holding a raw U+FFFF, say) was accepted. This
WSGI middleware answers SQS's error instead, in the protocol of the request (query XML for the API
front's integration, JSON for boto3), before moto sees the request.

``SendMessageBatch`` is not covered (SQS fails such entries one by one; nothing here sends them).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from urllib.parse import parse_qs

from localcloud.faults import AwsCall, FaultRule, error_response
from localcloud.moto_internals.serial import signing_service
from localcloud.wsgi import Environ, StartResponse, WsgiApp, read_body

_NOT_ALLOWED = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ALLOWED_SET = "#x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF"


def invalid_character(body: str) -> str | None:
    """SQS's reason for refusing the body, or None when every character is allowed."""
    found = _NOT_ALLOWED.search(body)
    if found is None:
        return None
    return (
        f"Invalid binary character '#x{ord(found.group()):X}' was found in the message body, "
        f"the set of allowed characters is {_ALLOWED_SET}"
    )


def _send_message_body(environ: Environ, body: bytes) -> tuple[str, str] | None:
    """(protocol, MessageBody) of a SendMessage request, else None."""
    content_type = environ.get("CONTENT_TYPE", "")
    if content_type.startswith("application/x-amz-json"):
        if not environ.get("HTTP_X_AMZ_TARGET", "").endswith(".SendMessage"):
            return None
        try:
            document = json.loads(body or b"{}")
        except ValueError:
            return None  # moto answers the malformed request
        message = document.get("MessageBody") if isinstance(document, dict) else None
        return ("json", message) if isinstance(message, str) else None
    params = parse_qs(environ.get("QUERY_STRING", ""))
    if content_type.startswith("application/x-www-form-urlencoded"):
        params.update(parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True))
    if params.get("Action") != ["SendMessage"] or not params.get("MessageBody"):
        return None
    return "query", params["MessageBody"][0]


class SqsMessageRules:
    """Answers ``InvalidMessageContents`` for SendMessage bodies SQS would refuse."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if signing_service(environ) != "sqs" or environ.get("REQUEST_METHOD") != "POST":
            return self.app(environ, start_response)
        body = read_body(environ)
        found = _send_message_body(environ, body)
        reason = invalid_character(found[1]) if found else None
        if found is None or reason is None:
            return self.app(environ, start_response)
        rule = FaultRule(
            "sqs", "SendMessage", "error", status=400, code="InvalidMessageContents", message=reason
        )
        call = AwsCall("sqs", "SendMessage", "json" if found[0] == "json" else "query", body, False)
        status, headers, payload = error_response(rule, call)
        start_response(status, [*headers, ("Content-Length", str(len(payload)))])
        return [payload]
