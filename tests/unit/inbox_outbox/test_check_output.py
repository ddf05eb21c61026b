"""CheckOutputQueueFunction through its REST proxy events, on moto queues."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError

from inbox_outbox.dal.sqs_client import sqs_client
from inbox_outbox.handlers.check_output import lambda_handler
from tests.unit.inbox_outbox.moto_queues import (
    InboxOutboxQueues,
    load_event,
    queue_depth,
    template,
)

# 400s and 404s publish no metric; Powertools warns about that, harmlessly.
pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")

OUTPUT_VISIBILITY_S = template()["Resources"]["OutputQueue"]["Properties"]["VisibilityTimeout"]


def outbox_event(query: dict[str, str] | None = None, path: str = "/outbox") -> dict[str, Any]:
    event = copy.deepcopy(load_event("apigw-get-outbox.json"))
    event["path"] = event["resource"] = event["requestContext"]["resourcePath"] = path
    event["queryStringParameters"] = query
    event["multiValueQueryStringParameters"] = (
        {name: [value] for name, value in query.items()} if query else None
    )
    return event


def call(event: dict[str, Any], context: Any) -> tuple[int, dict[str, Any]]:
    response = lambda_handler(event, context)
    return response["statusCode"], json.loads(response["body"])


def put_outbox_messages(sqs: Any, queues: InboxOutboxQueues, count: int) -> list[str]:
    ids = []
    for index in range(count):
        body = {
            "id": f"out-{index}",
            "message": f"message {index}",
            "type": "t" if index % 2 else None,
            "received_at": "2026-01-01T00:00:00.123000Z",
            "inbox_message_id": f"in-{index}",
        }
        ids.append(
            sqs.send_message(QueueUrl=queues.output.url, MessageBody=json.dumps(body))["MessageId"]
        )
    return ids


def test_returns_messages_and_deletes_them(
    sqs: Any, queues: InboxOutboxQueues, lambda_context: Any
) -> None:
    ids = put_outbox_messages(sqs, queues, 3)

    status, body = call(outbox_event({"max": "10"}), lambda_context)

    assert status == 200
    assert body["count"] == 3
    assert {m["messageId"] for m in body["messages"]} == set(ids)
    first = next(m for m in body["messages"] if m["id"] == "out-0")
    assert first == {
        "id": "out-0",
        "message": "message 0",
        "type": None,
        "received_at": "2026-01-01T00:00:00.123000Z",
        "messageId": ids[0],
    }
    assert queue_depth(sqs, queues.output.url) == (0, 0), "returned messages must be deleted"


def test_returns_at_most_max_and_leaves_the_rest(
    sqs: Any, queues: InboxOutboxQueues, lambda_context: Any
) -> None:
    ids = put_outbox_messages(sqs, queues, 5)

    status, first = call(outbox_event({"max": "2"}), lambda_context)
    assert status == 200
    assert first["count"] == len(first["messages"]) == 2
    assert queue_depth(sqs, queues.output.url) == (3, 0), "only returned messages are deleted"

    _, rest = call(outbox_event({"max": "10"}), lambda_context)
    returned = [m["messageId"] for m in first["messages"] + rest["messages"]]
    assert sorted(returned) == sorted(ids)


def test_default_max_is_ten(sqs: Any, queues: InboxOutboxQueues, lambda_context: Any) -> None:
    put_outbox_messages(sqs, queues, 12)

    status, body = call(outbox_event(None), lambda_context)

    assert status == 200
    assert body["count"] == 10
    assert queue_depth(sqs, queues.output.url) == (2, 0)


def test_empty_queue_is_200_with_an_empty_list(
    queues: InboxOutboxQueues, lambda_context: Any
) -> None:
    assert call(outbox_event({"max": "5"}), lambda_context) == (200, {"messages": [], "count": 0})


@pytest.mark.parametrize("value", ["0", "11", "-1", "abc", "", "5.5", "1e1", "ten"])
def test_bad_max_is_400_and_touches_nothing(
    value: str, sqs: Any, queues: InboxOutboxQueues, lambda_context: Any
) -> None:
    put_outbox_messages(sqs, queues, 1)

    status, body = call(outbox_event({"max": value}), lambda_context)

    assert status == 400
    assert (
        body["message"] == "Invalid request: query parameter 'max' must be an integer from 1 to 10"
    )
    assert body["errors"][0]["loc"] == ["query", "max"]
    assert queue_depth(sqs, queues.output.url) == (1, 0)


def test_sample_bad_max_event_is_400(queues: InboxOutboxQueues, lambda_context: Any) -> None:
    status, body = call(load_event("apigw-get-outbox-bad-max.json"), lambda_context)
    assert status == 400
    assert "max" in body["message"]


@pytest.mark.parametrize("path", ["/", "/inbox", "/outbox/extra", "/nope"])
def test_unknown_routes_are_404(path: str, queues: InboxOutboxQueues, lambda_context: Any) -> None:
    status, _ = call(outbox_event(None, path=path), lambda_context)
    assert status == 404


def test_bodies_that_do_not_parse_are_returned_raw(
    sqs: Any, queues: InboxOutboxQueues, lambda_context: Any
) -> None:
    for raw in ("not json at all", '{"unexpected": "shape"}'):
        sqs.send_message(QueueUrl=queues.output.url, MessageBody=raw)

    status, body = call(outbox_event({"max": "10"}), lambda_context)

    assert status == 200
    assert sorted(m["raw"] for m in body["messages"]) == sorted(
        ["not json at all", '{"unexpected": "shape"}']
    )
    assert all(m["id"] is None and m["messageId"] for m in body["messages"])
    assert queue_depth(sqs, queues.output.url) == (0, 0)


def test_failure_before_responding_leaves_every_message_in_the_queue(
    sqs: Any,
    queues: InboxOutboxQueues,
    lambda_context: Any,
    advance_sqs_clock: Callable[[float], None],
) -> None:
    ids = put_outbox_messages(sqs, queues, 3)

    def network_down(**_: Any) -> None:
        raise EndpointConnectionError(endpoint_url="https://sqs.us-east-1.amazonaws.com")

    # A real botocore event hook on the function's own client: the delete never reaches SQS.
    sqs_client().meta.events.register("before-call.sqs.DeleteMessageBatch", network_down)

    status, body = call(outbox_event({"max": "10"}), lambda_context)

    assert status == 503
    assert "messages" not in body
    assert queue_depth(sqs, queues.output.url) == (0, 3), "received, not deleted"
    advance_sqs_clock(OUTPUT_VISIBILITY_S + 1)
    assert queue_depth(sqs, queues.output.url) == (3, 0), "back after the visibility timeout"
    sqs_client().meta.events.unregister("before-call.sqs.DeleteMessageBatch", network_down)
    _, again = call(outbox_event({"max": "10"}), lambda_context)
    assert sorted(m["messageId"] for m in again["messages"]) == sorted(ids)


def test_only_messages_actually_deleted_are_returned(
    sqs: Any,
    queues: InboxOutboxQueues,
    lambda_context: Any,
    advance_sqs_clock: Callable[[float], None],
) -> None:
    put_outbox_messages(sqs, queues, 3)

    def spoil_first_receipt(params: dict[str, Any], **_: Any) -> None:
        # SQS (moto) answers this entry in `Failed` (ReceiptHandleIsInvalid).
        params["Entries"][0]["ReceiptHandle"] = "expired-receipt-handle"

    sqs_client().meta.events.register(
        "before-parameter-build.sqs.DeleteMessageBatch", spoil_first_receipt
    )

    status, body = call(outbox_event({"max": "10"}), lambda_context)

    assert status == 200
    assert body["count"] == len(body["messages"]) == 2
    assert queue_depth(sqs, queues.output.url) == (0, 1)
    advance_sqs_clock(OUTPUT_VISIBILITY_S + 1)
    left = sqs.receive_message(QueueUrl=queues.output.url, MaxNumberOfMessages=10)["Messages"]
    assert len(left) == 1
    assert left[0]["MessageId"] not in {m["messageId"] for m in body["messages"]}


def test_receive_uses_the_configured_wait(
    queues: InboxOutboxQueues, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECEIVE_WAIT_SECONDS", "1")
    seen: list[dict[str, Any]] = []
    sqs_client().meta.events.register(
        "before-parameter-build.sqs.ReceiveMessage",
        lambda params, **_: seen.append(dict(params)),
    )

    call(outbox_event({"max": "3"}), lambda_context)

    assert seen[0]["WaitTimeSeconds"] == 1
    assert seen[0]["MaxNumberOfMessages"] == 3


def test_sample_event(sqs: Any, queues: InboxOutboxQueues, lambda_context: Any) -> None:
    put_outbox_messages(sqs, queues, 7)

    status, body = call(load_event("apigw-get-outbox.json"), lambda_context)

    assert status == 200
    assert body["count"] == 5
