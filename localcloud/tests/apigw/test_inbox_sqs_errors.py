"""POST /inbox when SQS does not queue the message: every answer but a real MessageId is an error
in API Gateway's ``{"message"}`` shape, a 4xx when the caller can fix it, a 5xx otherwise, and
nothing is queued.

The failures are real where the local cloud has them (a body over the queue's size limit,
characters SQS refuses, a deleted queue) and injected at the integration's own SQS call otherwise,
through the local cloud's fault control endpoint over HTTP (``source: "api"``), exactly as a
developer would on ``make local``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from tests.apigw.apigw_support import Deployed, send, take_messages

from localcloud.faults import CONTROL_PATH

VALID = {"id": "err-1", "message": "hello"}


def _add_fault(api: Deployed, **rule: Any) -> None:
    answer = requests.post(
        f"{api.endpoint_url}{CONTROL_PATH}",
        json={"service": "sqs", "operation": "SendMessage", "source": "api", **rule},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text


def _fault_hits(api: Deployed) -> int:
    rules = requests.get(f"{api.endpoint_url}{CONTROL_PATH}", timeout=10).json()["rules"]
    return sum(int(rule["hits"]) for rule in rules)


def _post_inbox(api: Deployed, body: bytes) -> requests.Response:
    return send(
        "POST", f"{api.base_url}/inbox", body=body, headers={"Content-Type": "application/json"}
    )


def test_a_valid_body_padded_past_the_queues_size_limit_is_413(api: Deployed, sqs: Any) -> None:
    # 2 MB of insignificant whitespace: the validator accepts it (API Gateway's limit is 10 MB),
    # SQS refuses it (InvalidParameterValue: the queue takes at most 1 MiB).
    body = json.dumps(VALID).encode() + b" " * 2_000_000

    response = _post_inbox(api, body)

    assert response.status_code == 413, response.text
    assert response.headers["Content-Type"] == "application/json"
    document = response.json()
    assert document["message"] == "Message too long"
    assert "shorter than" in document["detail"]
    assert take_messages(sqs, api.queue_url) == []


def test_a_deleted_queue_is_500_not_the_callers_fault(api: Deployed, sqs: Any) -> None:
    sqs.delete_queue(QueueUrl=api.queue_url)
    try:
        response = _post_inbox(api, json.dumps(VALID).encode())
    finally:
        sqs.create_queue(QueueName=api.queue_url.rsplit("/", 1)[1])

    assert response.status_code == 500, response.text
    assert response.json() == {"message": "Internal server error"}


@pytest.mark.parametrize(
    ("rule", "status", "message"),
    [
        ({"kind": "throttle"}, 503, "Service Unavailable"),
        ({"kind": "error"}, 503, "Service Unavailable"),
        (
            {"kind": "error", "status": 503, "code": "ServiceUnavailable"},
            503,
            "Service Unavailable",
        ),
        (
            {"kind": "error", "status": 400, "code": "AWS.SimpleQueueService.NonExistentQueue"},
            500,
            "Internal server error",
        ),
        ({"kind": "error", "status": 403, "code": "AccessDenied"}, 500, "Internal server error"),
        ({"kind": "error", "status": 400, "code": "KmsAccessDenied"}, 500, "Internal server error"),
    ],
    ids=["throttled", "sqs-500", "sqs-503", "queue-gone", "access-denied", "kms-denied"],
)
def test_sqs_failures_at_the_integration_call_are_5xx_and_nothing_is_queued(
    api: Deployed, sqs: Any, rule: dict[str, Any], status: int, message: str
) -> None:
    _add_fault(api, **rule)

    response = _post_inbox(api, json.dumps(VALID).encode())

    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"message": message}
    assert _fault_hits(api) == 1
    assert take_messages(sqs, api.queue_url) == []


@pytest.mark.parametrize("character", ["\uffff", "\ufffe"], ids=["U+FFFF", "U+FFFE"])
def test_characters_sqs_refuses_are_400_with_its_reason(
    api: Deployed, sqs: Any, character: str
) -> None:
    # JSON allows these raw in a string, so the validator passes the body; SQS's character set
    # (XML's) does not, so SQS answers InvalidMessageContents.
    body = json.dumps({"id": "c", "message": f"a{character}b"}, ensure_ascii=False).encode()

    response = _post_inbox(api, body)

    assert response.status_code == 400, response.text
    assert response.json() == {
        "message": "Message has characters SQS does not accept",
        "detail": f"Invalid binary character '#x{ord(character):X}' was found in the message "
        "body, the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | "
        "#xE000 to #xFFFD | #x10000 to #x10FFFF",
    }
    assert take_messages(sqs, api.queue_url) == []


def test_a_fault_rule_for_the_functions_spares_the_api_front(api: Deployed, sqs: Any) -> None:
    _add_fault(api, kind="error", source="functions")

    response = _post_inbox(api, json.dumps(VALID).encode())

    assert response.status_code == 200, response.text
    assert [m["MessageId"] for m in take_messages(sqs, api.queue_url)] == [
        response.json()["messageId"]
    ]


def test_a_fault_rule_for_the_api_front_spares_other_callers(api: Deployed, sqs: Any) -> None:
    _add_fault(api, kind="error")

    sqs.send_message(QueueUrl=api.queue_url, MessageBody="from a test's own client")

    assert _fault_hits(api) == 0
    assert len(take_messages(sqs, api.queue_url)) == 1
