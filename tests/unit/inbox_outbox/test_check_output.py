"""CheckOutputQueueFunction (the outbox routes) through REST proxy events, on moto queues."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError

from inbox_outbox.dal.clients import sqs_client
from inbox_outbox.handlers.check_output import DEFAULT_LEASE_S, lambda_handler
from inbox_outbox.handlers.process_input import lambda_handler as process_input
from inbox_outbox.logic.response_budget import RESPONSE_BUDGET_BYTES
from stackclient.queues import queue_depth
from tests.unit.inbox_outbox.moto_queues import (
    InboxOutboxQueues,
    load_event,
    poll_once,
)

# 400s and 404s publish no metric; Powertools warns about that, harmlessly.
pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")

Clock = Callable[[float], None]


def outbox_event(
    query: dict[str, str] | None = None,
    path: str = "/outbox",
    method: str = "GET",
    body: Any = None,
) -> dict[str, Any]:
    sample = "apigw-get-outbox.json" if method == "GET" else "apigw-post-outbox-acks.json"
    event = copy.deepcopy(load_event(sample))
    event["path"] = event["resource"] = event["requestContext"]["resourcePath"] = path
    event["httpMethod"] = event["requestContext"]["httpMethod"] = method
    event["queryStringParameters"] = query
    event["multiValueQueryStringParameters"] = (
        {name: [value] for name, value in query.items()} if query else None
    )
    event["body"] = body if body is None or isinstance(body, str) else json.dumps(body)
    return event


def call(event: dict[str, Any], context: Any) -> tuple[int, dict[str, Any]]:
    response = lambda_handler(event, context)
    return response["statusCode"], json.loads(response["body"])


def read(context: Any, **query: str) -> dict[str, Any]:
    status, body = call(outbox_event(query or None), context)
    assert status == 200, body
    return body


def ack(context: Any, receipts: list[str], path: str = "/outbox/acks") -> dict[str, Any]:
    status, body = call(
        outbox_event(path=path, method="POST", body={"receipts": receipts}), context
    )
    assert status == 200, body
    return body


def outbox_body(index: int, message: str | None = None) -> str:
    return json.dumps(
        {
            "id": f"out-{index}",
            "message": message if message is not None else f"message {index}",
            "type": "t" if index % 2 else None,
            "received_at": "2026-01-01T00:00:00.123000Z",
            "inbox_message_id": f"in-{index}",
        }
    )


def put_outbox_messages(sqs: Any, queues: InboxOutboxQueues, count: int) -> list[str]:
    """Output-queue messages as the process-input function writes them; their inbox ids."""
    for index in range(count):
        sqs.send_message(QueueUrl=queues.output.url, MessageBody=outbox_body(index))
    return [f"in-{index}" for index in range(count)]


def test_a_read_leases_the_messages_and_deletes_nothing(
    sqs: Any, queues: InboxOutboxQueues, lambda_context: Any
) -> None:
    ids = put_outbox_messages(sqs, queues, 3)

    body = read(lambda_context, max="10")

    assert body["count"] == 3
    assert body["more"] is False
    assert {m["messageId"] for m in body["messages"]} == set(ids)
    first = next(m for m in body["messages"] if m["id"] == "out-0")
    assert set(first) == {"id", "message", "type", "received_at", "messageId", "receipt"}
    assert (first["message"], first["type"], first["messageId"]) == ("message 0", None, "in-0")
    assert first["received_at"] == "2026-01-01T00:00:00.123000Z"
    assert first["receipt"]
    assert queue_depth(sqs, queues.output.url) == (0, 3), "leased (in flight), not deleted"


def test_a_response_that_never_reaches_the_caller_loses_nothing(
    sqs: Any, queues: InboxOutboxQueues, lambda_context: Any, advance_sqs_clock: Clock
) -> None:
    """The client disconnects after sending GET /outbox: its response is thrown away."""
    ids = put_outbox_messages(sqs, queues, 4)

    lambda_handler(outbox_event({"max": "10", "lease": "30"}), lambda_context)  # never read

    advance_sqs_clock(31)
    assert queue_depth(sqs, queues.output.url) == (4, 0), "back once the lease ended"
    again = read(lambda_context, max="10")
    assert sorted(m["messageId"] for m in again["messages"]) == sorted(ids)


@pytest.mark.parametrize(("lease", "expected_s"), [(None, DEFAULT_LEASE_S), ("5", 5), ("900", 900)])
def test_the_lease_lasts_as_long_as_asked(
    lease: str | None,
    expected_s: int,
    sqs: Any,
    queues: InboxOutboxQueues,
    lambda_context: Any,
    advance_sqs_clock: Clock,
) -> None:
    put_outbox_messages(sqs, queues, 2)

    read(lambda_context, **({"lease": lease} if lease else {}))

    advance_sqs_clock(expected_s - 1)
    assert queue_depth(sqs, queues.output.url) == (0, 2), "still leased"
    advance_sqs_clock(2)
    assert queue_depth(sqs, queues.output.url) == (2, 0), "lease over"


def test_an_ack_deletes_exactly_the_acknowledged_messages(
    sqs: Any, queues: InboxOutboxQueues, lambda_context: Any, advance_sqs_clock: Clock
) -> None:
    put_outbox_messages(sqs, queues, 5)
    page = read(lambda_context, max="10", lease="10")
    chosen = [m for m in page["messages"] if m["id"] in {"out-1", "out-3"}]

    result = ack(lambda_context, [m["receipt"] for m in chosen])

    assert result == {"acknowledged": [m["receipt"] for m in chosen], "failed": []}
    assert queue_depth(sqs, queues.output.url) == (0, 3)
    advance_sqs_clock(11)
    back = read(lambda_context, max="10")
    assert sorted(m["id"] for m in back["messages"]) == ["out-0", "out-2", "out-4"]


def test_an_ack_reports_each_receipt_and_is_idempotent(
    sqs: Any, queues: InboxOutboxQueues, lambda_context: Any
) -> None:
    put_outbox_messages(sqs, queues, 1)
    (message,) = read(lambda_context)["messages"]

    first = ack(lambda_context, [message["receipt"], "not-a-receipt"])
    again = ack(lambda_context, [message["receipt"]])

    assert first["acknowledged"] == [message["receipt"]]
    assert first["failed"] == [
        {
            "receipt": "not-a-receipt",
            "code": "ReceiptHandleIsInvalid",
            "message": first["failed"][0]["message"],
        }
    ]
    assert first["failed"][0]["message"]
    assert again == {"acknowledged": [message["receipt"]], "failed": []}
    assert queue_depth(sqs, queues.output.url) == (0, 0)


def test_a_release_makes_messages_visible_at_once(
    sqs: Any, queues: InboxOutboxQueues, lambda_context: Any
) -> None:
    put_outbox_messages(sqs, queues, 3)
    page = read(lambda_context, lease="600")
    handed_back = [m["receipt"] for m in page["messages"][:2]]

    result = ack(lambda_context, [*handed_back, "not-a-receipt"], path="/outbox/releases")

    assert result["released"] == handed_back
    assert [f["receipt"] for f in result["failed"]] == ["not-a-receipt"]
    assert queue_depth(sqs, queues.output.url) == (2, 1)


def test_the_outbox_carries_the_inbox_message_id_and_the_callers_id(
    sqs: Any, queues: InboxOutboxQueues, lambda_context: Any
) -> None:
    """The messageId POST /inbox answers (the input queue's) is the one GET /outbox returns."""
    inbox_ids = {
        sqs.send_message(
            QueueUrl=queues.input.url,
            MessageBody=json.dumps({"id": f"caller-{i}", "message": f"hello {i}"}),
        )["MessageId"]: f"caller-{i}"
        for i in range(3)
    }
    poll_once(sqs, queues.input, process_input, lambda_context)

    page = read(lambda_context)

    assert {m["messageId"]: m["id"] for m in page["messages"]} == inbox_ids


def test_seven_65536_emoji_messages_stay_under_6_mb_and_none_is_lost(
    sqs: Any, queues: InboxOutboxQueues, lambda_context: Any
) -> None:
    """Each is 917,504 bytes in the proxy response (14 per emoji, escaped twice): 6.4 MB in all."""
    emoji = "\N{GRINNING FACE}" * 65_536
    inbox_ids = [
        sqs.send_message(
            QueueUrl=queues.input.url, MessageBody=json.dumps({"id": f"e-{i}", "message": emoji})
        )["MessageId"]
        for i in range(7)
    ]
    poll_once(sqs, queues.input, process_input, lambda_context)
    assert queue_depth(sqs, queues.output.url) == (7, 0)

    delivered: list[str] = []
    sizes: list[int] = []
    pages: list[dict[str, Any]] = []
    while len(pages) < 5:
        response = lambda_handler(outbox_event({"max": "10"}), lambda_context)
        sizes.append(len(json.dumps(response).encode()))  # what the runtime sends back
        page = json.loads(response["body"])
        pages.append(page)
        if not page["messages"]:
            break
        assert all(m["message"] == emoji for m in page["messages"])
        delivered += [m["messageId"] for m in page["messages"]]
        ack(lambda_context, [m["receipt"] for m in page["messages"]])

    assert max(sizes) <= RESPONSE_BUDGET_BYTES, sizes
    assert [(p["count"], p["more"]) for p in pages] == [(6, True), (1, False), (0, False)]
    assert sorted(delivered) == sorted(inbox_ids)
    assert queue_depth(sqs, queues.output.url) == (0, 0)


def test_what_did_not_fit_is_released_at_once(
    sqs: Any, queues: InboxOutboxQueues, lambda_context: Any
) -> None:
    for index in range(8):
        sqs.send_message(
            QueueUrl=queues.output.url, MessageBody=outbox_body(index, "\N{GRINNING FACE}" * 65_536)
        )

    page = read(lambda_context, max="8", lease="600")

    assert (page["count"], page["more"]) == (6, True)
    assert queue_depth(sqs, queues.output.url) == (2, 6), "the 2 left out are visible again"


def test_a_failed_release_of_what_did_not_fit_still_answers_the_page(
    sqs: Any, queues: InboxOutboxQueues, lambda_context: Any, advance_sqs_clock: Clock
) -> None:
    for index in range(7):
        sqs.send_message(
            QueueUrl=queues.output.url, MessageBody=outbox_body(index, "\N{GRINNING FACE}" * 65_536)
        )

    def network_down(**_: Any) -> None:
        raise EndpointConnectionError(endpoint_url="https://sqs.us-east-1.amazonaws.com")

    sqs_client().meta.events.register("before-call.sqs.ChangeMessageVisibilityBatch", network_down)
    page = read(lambda_context, max="10", lease="30")

    assert (page["count"], page["more"]) == (6, True)
    assert queue_depth(sqs, queues.output.url) == (0, 7), "the 7th is still leased"
    advance_sqs_clock(31)
    assert queue_depth(sqs, queues.output.url) == (7, 0), "and back when the lease ends"


def test_a_body_too_large_for_any_response_does_not_block_the_others(
    sqs: Any, queues: InboxOutboxQueues, lambda_context: Any
) -> None:
    """Only a direct writer can do this: 1,000,000 control characters are 7 MB escaped twice."""
    sqs.send_message(QueueUrl=queues.output.url, MessageBody="\x01" * 1_000_000)
    put_outbox_messages(sqs, queues, 2)

    response = lambda_handler(outbox_event({"max": "10", "lease": "30"}), lambda_context)

    page = json.loads(response["body"])
    assert len(json.dumps(response)) <= RESPONSE_BUDGET_BYTES
    assert sorted(m["id"] for m in page["messages"]) == ["out-0", "out-1"]
    assert page["more"] is False, "nothing that could be returned is waiting"
    assert queue_depth(sqs, queues.output.url) == (0, 3), "it stays leased: the DLQ after 5 reads"


def test_default_max_is_ten(sqs: Any, queues: InboxOutboxQueues, lambda_context: Any) -> None:
    put_outbox_messages(sqs, queues, 12)

    assert read(lambda_context)["count"] == 10
    assert queue_depth(sqs, queues.output.url) == (2, 10)


def test_empty_queue_is_200_with_an_empty_list(
    queues: InboxOutboxQueues, lambda_context: Any
) -> None:
    assert call(outbox_event({"max": "5"}), lambda_context) == (
        200,
        {"messages": [], "count": 0, "more": False},
    )


BAD_QUERY_MESSAGES = {
    "max": "Invalid request: query parameter 'max' must be an integer from 1 to 10",
    "lease": (
        "Invalid request: query parameter 'lease' must be an integer number of seconds "
        "from 1 to 43200"
    ),
}


@pytest.mark.parametrize(
    ("name", "value"),
    [("max", value) for value in ["0", "11", "-1", "abc", "", "5.5", "1e1", "ten"]]
    + [("lease", value) for value in ["0", "43201", "-5", "1.5", "forever", ""]],
)
def test_a_bad_query_parameter_is_400_and_touches_nothing(
    name: str, value: str, sqs: Any, queues: InboxOutboxQueues, lambda_context: Any
) -> None:
    put_outbox_messages(sqs, queues, 1)

    status, body = call(outbox_event({name: value}), lambda_context)

    assert status == 400
    assert body["message"] == BAD_QUERY_MESSAGES[name]
    assert body["errors"][0]["loc"] == ["query", name]
    assert queue_depth(sqs, queues.output.url) == (1, 0)


@pytest.mark.parametrize("path", ["/outbox/acks", "/outbox/releases"])
@pytest.mark.parametrize(
    "body",
    [
        None,
        "",
        "{not json",
        "[]",
        {},
        {"receipts": []},
        {"receipts": "r"},
        {"receipts": [1]},
        {"receipts": [""]},
        {"receipts": ["r"] * 2},
        {"receipts": [f"r{i}" for i in range(11)]},
        {"receipts": ["x" * 8193]},
        {"receipts": ["r"], "extra": True},
    ],
    ids=[
        "none",
        "empty",
        "not-json",
        "array",
        "no-receipts",
        "zero",
        "not-a-list",
        "not-strings",
        "empty-string",
        "duplicates",
        "eleven",
        "too-long",
        "extra-field",
    ],
)
def test_bad_receipt_bodies_are_400_and_touch_nothing(
    path: str, body: Any, sqs: Any, queues: InboxOutboxQueues, lambda_context: Any
) -> None:
    put_outbox_messages(sqs, queues, 1)
    read(lambda_context)

    status, answer = call(outbox_event(path=path, method="POST", body=body), lambda_context)

    assert status == 400, answer
    assert answer["message"].startswith("Invalid request body")
    assert queue_depth(sqs, queues.output.url) == (0, 1)


@pytest.mark.parametrize("path", ["/outbox/acks", "/outbox/releases"])
@pytest.mark.parametrize("content_type", ["text/plain", "application/octet-stream"])
def test_a_body_that_is_not_json_is_415_with_a_message(
    path: str, content_type: str, sqs: Any, queues: InboxOutboxQueues, lambda_context: Any
) -> None:
    """Found by the API fuzz: Powertools' own 415 has no `message`."""
    put_outbox_messages(sqs, queues, 1)
    receipts = [m["receipt"] for m in read(lambda_context)["messages"]]
    event = outbox_event(path=path, method="POST", body={"receipts": receipts})
    event["headers"]["Content-Type"] = event["multiValueHeaders"]["Content-Type"][0] = content_type

    status, answer = call(event, lambda_context)

    assert status == 415
    assert answer["message"] == "Unsupported Media Type: send the body as application/json"
    assert queue_depth(sqs, queues.output.url) == (0, 1), "still leased, nothing deleted"


# Powertools warns of a multipart body that is not base64: that is this case.
@pytest.mark.filterwarnings("ignore:Received multipart/form-data without base64")
@pytest.mark.parametrize("path", ["/outbox/acks", "/outbox/releases"])
@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data", "--x--"),  # no boundary in the header
        # A non-UTF-8 payload, as API Gateway hands it over without a binary media type.
        ("multipart/form-data; boundary=x", "\ufffd"),
    ],
)
def test_a_multipart_body_powertools_cannot_parse_is_415_not_a_function_error(
    path: str,
    content_type: str,
    body: str,
    sqs: Any,
    queues: InboxOutboxQueues,
    lambda_context: Any,
) -> None:
    """Found by the API fuzz (POST /outbox/acks, multipart, body b"\\x80" -> 502): Powertools'
    multipart parser raised a ValueError past its own validation errors."""
    put_outbox_messages(sqs, queues, 1)
    read(lambda_context)
    event = outbox_event(path=path, method="POST", body=body)
    event["headers"]["Content-Type"] = content_type
    event["multiValueHeaders"]["Content-Type"] = [content_type]

    status, answer = call(event, lambda_context)

    assert status == 415
    assert answer["message"] == "Unsupported Media Type: send the body as application/json"
    assert queue_depth(sqs, queues.output.url) == (0, 1), "still leased, nothing deleted"


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/"), ("GET", "/inbox"), ("GET", "/outbox/extra"), ("GET", "/outbox/acks")],
)
def test_unknown_routes_are_404(
    method: str, path: str, queues: InboxOutboxQueues, lambda_context: Any
) -> None:
    status, _ = call(outbox_event(None, path=path, method=method), lambda_context)
    assert status == 404


def test_bodies_that_do_not_parse_are_returned_raw(
    sqs: Any, queues: InboxOutboxQueues, lambda_context: Any
) -> None:
    queue_ids = {
        sqs.send_message(QueueUrl=queues.output.url, MessageBody=raw)["MessageId"]: raw
        for raw in ("not json at all", '{"unexpected": "shape"}')
    }

    page = read(lambda_context, max="10")

    assert {m["messageId"]: m["raw"] for m in page["messages"]} == queue_ids
    assert all(m["id"] is None and m["receipt"] for m in page["messages"])
    ack(lambda_context, [m["receipt"] for m in page["messages"]])
    assert queue_depth(sqs, queues.output.url) == (0, 0)


def test_sqs_failure_on_read_is_503_and_leases_nothing(
    sqs: Any, queues: InboxOutboxQueues, lambda_context: Any
) -> None:
    put_outbox_messages(sqs, queues, 2)

    def network_down(**_: Any) -> None:
        raise EndpointConnectionError(endpoint_url="https://sqs.us-east-1.amazonaws.com")

    sqs_client().meta.events.register("before-call.sqs.ReceiveMessage", network_down)
    status, body = call(outbox_event({"max": "10"}), lambda_context)

    assert status == 503
    assert body == {"message": "The output queue is unavailable; try again shortly"}
    assert queue_depth(sqs, queues.output.url) == (2, 0)


def test_sqs_failure_on_ack_is_503_and_the_ack_can_be_retried(
    sqs: Any, queues: InboxOutboxQueues, lambda_context: Any
) -> None:
    put_outbox_messages(sqs, queues, 2)
    receipts = [m["receipt"] for m in read(lambda_context)["messages"]]

    def network_down(**_: Any) -> None:
        raise EndpointConnectionError(endpoint_url="https://sqs.us-east-1.amazonaws.com")

    sqs_client().meta.events.register("before-call.sqs.DeleteMessageBatch", network_down)
    status, _ = call(
        outbox_event(path="/outbox/acks", method="POST", body={"receipts": receipts}),
        lambda_context,
    )
    assert status == 503
    assert queue_depth(sqs, queues.output.url) == (0, 2), "still leased, not deleted"

    sqs_client().meta.events.unregister("before-call.sqs.DeleteMessageBatch", network_down)
    assert ack(lambda_context, receipts)["acknowledged"] == receipts
    assert queue_depth(sqs, queues.output.url) == (0, 0)


def test_receive_uses_the_configured_wait_and_the_lease(
    queues: InboxOutboxQueues, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECEIVE_WAIT_SECONDS", "1")
    seen: list[dict[str, Any]] = []
    sqs_client().meta.events.register(
        "before-parameter-build.sqs.ReceiveMessage",
        lambda params, **_: seen.append(dict(params)),
    )

    call(outbox_event({"max": "3", "lease": "45"}), lambda_context)

    assert (seen[0]["WaitTimeSeconds"], seen[0]["MaxNumberOfMessages"]) == (1, 3)
    assert seen[0]["VisibilityTimeout"] == 45


def test_sample_get_event(sqs: Any, queues: InboxOutboxQueues, lambda_context: Any) -> None:
    put_outbox_messages(sqs, queues, 7)

    status, body = call(load_event("apigw-get-outbox.json"), lambda_context)

    assert (status, body["count"], body["more"]) == (200, 5, False)


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("apigw-post-outbox-acks.json", "acknowledged"),
        ("apigw-post-outbox-releases.json", "released"),
    ],
)
def test_sample_receipt_events(
    name: str, key: str, sqs: Any, queues: InboxOutboxQueues, lambda_context: Any
) -> None:
    put_outbox_messages(sqs, queues, 2)
    live = [m["receipt"] for m in read(lambda_context)["messages"]]
    event = load_event(name)
    sample = json.loads(event["body"])["receipts"]
    event["body"] = json.dumps({"receipts": live[: len(sample)]})

    status, body = call(event, lambda_context)

    assert status == 200
    assert body == {key: live[: len(sample)], "failed": []}


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("apigw-get-outbox-bad-max.json", "'max'"),
        ("apigw-get-outbox-bad-lease.json", "'lease'"),
        ("apigw-post-outbox-acks-bad-body.json", "Invalid request body"),
    ],
)
def test_sample_bad_events_are_400(
    name: str, fragment: str, queues: InboxOutboxQueues, lambda_context: Any
) -> None:
    status, body = call(load_event(name), lambda_context)
    assert status == 400
    assert fragment in body["message"]
