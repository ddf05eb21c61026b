"""ProcessInputQueueFunction on moto: forwarding, partial failures, visibility, observability."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from inbox_outbox.handlers.process_input import lambda_handler
from lambda_observability.powertools import logger
from stackclient.queues import queue_depth
from tests.unit.inbox_outbox.moto_queues import (
    InboxOutboxQueues,
    drain,
    load_event,
    sqs_event,
)

SECRET_TEXT = "do-not-log-this-text"


def send_bodies(sqs: Any, queue_url: str, bodies: list[str]) -> list[str]:
    return [sqs.send_message(QueueUrl=queue_url, MessageBody=b)["MessageId"] for b in bodies]


def receive_event(sqs: Any, queues: InboxOutboxQueues) -> dict[str, Any]:
    messages = sqs.receive_message(
        QueueUrl=queues.input.url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
    )["Messages"]
    return sqs_event(messages, queues.input.arn)


def good(identifier: str, **extra: str) -> str:
    return json.dumps({"id": identifier, "message": f"{SECRET_TEXT} {identifier}", **extra})


def failed_ids(response: dict[str, Any]) -> set[str]:
    return {item["itemIdentifier"] for item in response["batchItemFailures"]}


def test_good_batch_is_forwarded_with_metadata(
    sqs: Any, queues: InboxOutboxQueues, lambda_context: Any
) -> None:
    ids = send_bodies(sqs, queues.input.url, [good("a-1", type="t1"), good("a-2")])
    event = receive_event(sqs, queues)

    response = lambda_handler(event, lambda_context)

    assert response == {"batchItemFailures": []}
    forwarded = {json.loads(m["Body"])["id"]: m for m in drain(sqs, queues.output.url)}
    assert set(forwarded) == {"a-1", "a-2"}
    first = json.loads(forwarded["a-1"]["Body"])
    assert first["message"] == f"{SECRET_TEXT} a-1"
    assert first["type"] == "t1"
    assert json.loads(forwarded["a-2"]["Body"])["type"] is None
    assert first["inbox_message_id"] == ids[0]
    # received_at is the input queue's SentTimestamp, as an ISO-8601 UTC instant.
    record = next(r for r in event["Records"] if r["messageId"] == ids[0])
    sent = datetime.fromtimestamp(int(record["attributes"]["SentTimestamp"]) / 1000, tz=UTC)
    assert datetime.fromisoformat(first["received_at"]) == sent
    assert set(first) == {"id", "message", "type", "received_at", "inbox_message_id"}


def test_bad_messages_are_item_failures_and_neighbours_are_forwarded(
    sqs: Any, queues: InboxOutboxQueues, lambda_context: Any
) -> None:
    bodies = [
        good("ok-1"),
        "{not json",
        json.dumps({"id": "bad id", "message": "m"}),
        good("poison", type="malformed"),
        good("ok-2"),
    ]
    ids = send_bodies(sqs, queues.input.url, bodies)

    response = lambda_handler(receive_event(sqs, queues), lambda_context)

    assert failed_ids(response) == {ids[1], ids[2], ids[3]}
    forwarded = sorted(json.loads(m["Body"])["id"] for m in drain(sqs, queues.output.url))
    assert forwarded == ["ok-1", "ok-2"]


# Bodies API Gateway's validator accepts (a duplicate name: the last value wins and is valid)
# whose overridden value pydantic's JSON parser refused, so the function dead-lettered a message
# POST /inbox had answered 200 for. The first is the fuzz property's falsifying example.
API_ACCEPTED_DUPLICATES = {
    "lone-surrogates-overridden": (
        '{"message":"\\u00c3\\u0000\\u001a\\udbd9\\u0083\\u0004\\u00d1\\ud9eb\\udfd5\\ud884'
        '\\uddbd\\u00a5D\\u0013\\u0094","id": "vBkD", "message": "\\udb8f\\uded0", "type": "9J"}',
        ("vBkD", "\U000f3ed0", "9J"),
    ),
    "lone-surrogate-id-overridden": (
        '{"id":"\\udc00","id":"d-2","message":"m"}',
        ("d-2", "m", None),
    ),
    # Deeper than pydantic's 200 levels, far under Python's (and the API's) limit.
    "deep-array-overridden": (
        '{"id":' + "[" * 300 + "]" * 300 + ',"id":"d-3","message":"m"}',
        ("d-3", "m", None),
    ),
}


@pytest.mark.parametrize(
    ("body", "expected"), API_ACCEPTED_DUPLICATES.values(), ids=API_ACCEPTED_DUPLICATES.keys()
)
def test_what_the_api_accepts_is_forwarded_even_with_a_duplicate_name(
    sqs: Any,
    queues: InboxOutboxQueues,
    lambda_context: Any,
    body: str,
    expected: tuple[str, str, str | None],
) -> None:
    (message_id,) = send_bodies(sqs, queues.input.url, [body])

    response = lambda_handler(receive_event(sqs, queues), lambda_context)

    assert response == {"batchItemFailures": []}
    (forwarded,) = [json.loads(m["Body"]) for m in drain(sqs, queues.output.url)]
    assert (forwarded["id"], forwarded["message"], forwarded["type"]) == expected
    assert forwarded["inbox_message_id"] == message_id


def test_what_the_api_refuses_anywhere_in_the_body_is_rejected(
    sqs: Any, queues: InboxOutboxQueues, lambda_context: Any
) -> None:
    # NaN/Infinity are not JSON: API Gateway answers 400 even when a later duplicate is valid.
    bodies = ['{"id":NaN,"id":"n-1","message":"m"}', '{"id":"n-2","message":"m","type":-Infinity}']
    ids = send_bodies(sqs, queues.input.url, bodies)

    response = lambda_handler(receive_event(sqs, queues), lambda_context)

    assert failed_ids(response) == set(ids)
    assert drain(sqs, queues.output.url) == []


def test_the_largest_valid_messages_fit_both_queues(
    sqs: Any, queues: InboxOutboxQueues, lambda_context: Any
) -> None:
    # 65,536 characters in the encodings that grow the most: an astral character escaped in the
    # POST body (12 bytes), U+FFFF and a control character escaped in both bodies (6 bytes).
    messages = [char * 65_536 for char in ("\U0001f600", "\uffff", "\x01")]
    bodies = [json.dumps({"id": "x" * 128, "message": m, "type": "t" * 64}) for m in messages]
    limit = {
        name: int(
            sqs.get_queue_attributes(QueueUrl=queue.url, AttributeNames=["MaximumMessageSize"])[
                "Attributes"
            ]["MaximumMessageSize"]
        )
        for name, queue in (("input", queues.input), ("output", queues.output))
    }
    assert max(len(body.encode()) for body in bodies) <= limit["input"]
    send_bodies(sqs, queues.input.url, bodies)

    response = lambda_handler(receive_event(sqs, queues), lambda_context)

    assert response == {"batchItemFailures": []}
    forwarded = [m["Body"] for m in drain(sqs, queues.output.url)]
    assert sorted(json.loads(body)["message"] for body in forwarded) == sorted(messages)
    assert max(len(body.encode()) for body in forwarded) <= limit["output"]


def test_permanent_failures_are_visible_again_at_once(
    sqs: Any, queues: InboxOutboxQueues, lambda_context: Any
) -> None:
    ids = send_bodies(sqs, queues.input.url, ["{not json", good("ok")])
    lambda_handler(receive_event(sqs, queues), lambda_context)

    # Without the visibility change it would stay hidden for the queue's 180 s.
    again = sqs.receive_message(
        QueueUrl=queues.input.url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
    )["Messages"]
    assert [m["MessageId"] for m in again] == [ids[0]]
    assert again[0]["Attributes"]["ApproximateReceiveCount"] == "2"


def test_transient_failure_backs_off_by_receive_count(
    sqs: Any,
    queues: InboxOutboxQueues,
    lambda_context: Any,
    monkeypatch: pytest.MonkeyPatch,
    advance_sqs_clock: Callable[[float], None],
) -> None:
    # SendMessage to a queue that does not exist: a ClientError, i.e. maybe transient.
    monkeypatch.setenv("OUTPUT_QUEUE_URL", queues.output.url + "-missing")
    monkeypatch.setenv("RETRY_BACKOFF_BASE_SECONDS", "10")
    monkeypatch.setenv("RETRY_BACKOFF_MAX_SECONDS", "15")
    (message_id,) = send_bodies(sqs, queues.input.url, [good("t-1")])

    for expected_delay_s in (10, 15, 15):  # 10, 20 capped to 15, 40 capped to 15
        response = lambda_handler(receive_event(sqs, queues), lambda_context)
        assert failed_ids(response) == {message_id}
        advance_sqs_clock(expected_delay_s - 1)
        assert queue_depth(sqs, queues.input.url) == (0, 1), "visible before its backoff"
        advance_sqs_clock(2)
        assert queue_depth(sqs, queues.input.url) == (1, 0), "still hidden after its backoff"

    assert drain(sqs, queues.output.url) == []


def test_whole_bad_batch_is_reported_not_raised(
    sqs: Any, queues: InboxOutboxQueues, lambda_context: Any
) -> None:
    ids = send_bodies(sqs, queues.input.url, ["[]", "null", '"text"'])

    response = lambda_handler(receive_event(sqs, queues), lambda_context)

    assert failed_ids(response) == set(ids)


def test_poison_type_is_forwarded_when_the_hook_is_off(
    sqs: Any, queues: InboxOutboxQueues, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POISON_MESSAGE_TYPE", "")  # how the template deploys it without tests
    send_bodies(sqs, queues.input.url, [good("m-1", type="malformed")])

    response = lambda_handler(receive_event(sqs, queues), lambda_context)

    assert response == {"batchItemFailures": []}
    assert [json.loads(m["Body"])["id"] for m in drain(sqs, queues.output.url)] == ["m-1"]


def test_metrics_and_logs_count_without_logging_bodies(
    sqs: Any,
    queues: InboxOutboxQueues,
    lambda_context: Any,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    bodies = [good("ok-1"), good("ok-2"), json.dumps({"id": "bad id", "message": SECRET_TEXT})]
    send_bodies(sqs, queues.input.url, [*bodies, "{" + SECRET_TEXT])
    caplog.set_level(logging.INFO)  # the requirement: no message bodies at INFO and above

    lambda_handler(receive_event(sqs, queues), lambda_context)

    # Metrics are printed (EMF) at flush; log records are rendered with the Powertools formatter,
    # as CloudWatch Logs would receive them, including every extra key.
    emf = json.loads(capsys.readouterr().out.splitlines()[-1])
    formatter = logger.registered_formatter
    lines = [json.loads(formatter.format(record)) for record in caplog.records]
    assert emf["MessagesForwarded"] == [2.0]
    assert emf["MessagesRejected"] == [2.0]
    assert emf["MessagesRetried"] == [0.0]
    summary = next(line for line in lines if line.get("message") == "Batch processed")
    assert (summary["received"], summary["forwarded"], summary["rejected"]) == (4, 2, 2)
    assert len(lines) >= 3
    assert all(SECRET_TEXT not in json.dumps(line) for line in lines)
    assert SECRET_TEXT not in json.dumps(emf)


def test_sample_event_with_malformed_messages(
    sqs: Any, queues: InboxOutboxQueues, lambda_context: Any
) -> None:
    event = load_event("sqs-batch-with-malformed.json")
    for record in event["Records"]:
        # The sample's receipt handles are not moto's: changing visibility fails, is logged,
        # and the failures are still reported.
        record["eventSourceARN"] = queues.input.arn
    bad = {
        r["messageId"]
        for r in event["Records"]
        if r["body"].startswith('{"id": "order-2') or "has spaces" in r["body"]
    }

    response = lambda_handler(event, lambda_context)

    assert len(bad) == 3
    assert failed_ids(response) == bad
    assert len(drain(sqs, queues.output.url)) == 3


def test_sample_good_batch(sqs: Any, queues: InboxOutboxQueues, lambda_context: Any) -> None:
    response = lambda_handler(load_event("sqs-batch.json"), lambda_context)

    assert response == {"batchItemFailures": []}
    forwarded = [json.loads(m["Body"]) for m in drain(sqs, queues.output.url)]
    assert sorted(f["id"] for f in forwarded) == ["order-1001", "order-1002", "tenant:42.item_7"]
    assert {f["received_at"] for f in forwarded} == {"2026-01-01T00:00:00Z"}
