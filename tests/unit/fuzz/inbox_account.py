"""Per-example inbox/outbox queues on the module's moto account, and Lambda's SQS poller loop.

The four queues are created from template.yaml (redrive maxReceiveCount 5 included) for each
example and deleted after it; `drain_input_like_lambda` plays the SQS event source mapping
(receive ten, invoke, delete what did not fail) until the input queue is empty, letting moto's
redrive move what keeps failing to InputQueueDLQ.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from inbox_outbox.handlers.process_input import lambda_handler
from record_stream.dal.rejected_queue import pack_messages
from tests.lambda_context import LambdaContext
from tests.unit.inbox_outbox.conftest import _clear_container_caches
from tests.unit.inbox_outbox.moto_queues import (
    Handler,
    InboxOutboxQueues,
    create_queues,
    poll_once,
)


@contextmanager
def fresh_inbox_queues(sqs: Any) -> Iterator[InboxOutboxQueues]:
    """The template's queues, the function's environment pointing at them, a cold container."""
    queues = create_queues(sqs)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OUTPUT_QUEUE_URL", queues.output.url)
        _clear_container_caches()
        try:
            yield queues
        finally:
            _clear_container_caches()
            for queue in (queues.input, queues.output, queues.input_dlq, queues.output_dlq):
                sqs.delete_queue(QueueUrl=queue.url)


def send_bodies(sqs: Any, queue_url: str, bodies: list[str]) -> list[str]:
    """SendMessageBatch within SQS's limits (10 entries, 256 KiB); MessageIds in body order."""
    message_ids: list[str] = []
    for call in pack_messages(bodies):
        response = sqs.send_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(index), "MessageBody": bodies[index]} for index in call],
        )
        assert not response.get("Failed"), response.get("Failed")
        sent = {entry["Id"]: entry["MessageId"] for entry in response["Successful"]}
        message_ids.extend(sent[str(index)] for index in call)
    return message_ids


def receive_all(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    """Every message of a queue, received (and left invisible) rather than deleted one by one:
    the queue is deleted with the example anyway, and moto's receive is the expensive call."""
    received: list[dict[str, Any]] = []
    while batch := sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=300
    ).get("Messages", []):
        received.extend(batch)
    return received


@dataclass
class PollLog:
    polls: int = 0
    invocations: int = 0
    receives: dict[str, int] = field(default_factory=dict)
    reported: dict[str, int] = field(default_factory=dict)


def drain_input_like_lambda(
    sqs: Any, queues: InboxOutboxQueues, max_polls: int, handler: Handler = lambda_handler
) -> PollLog:
    """Poll until a receive finds nothing; the handler must never raise.

    An empty receive means nothing is visible (moto moves what exceeded maxReceiveCount to the
    DLQ during the receive); the caller checks that nothing was left in flight either.
    """
    log = PollLog()
    while True:
        log.polls += 1
        assert log.polls <= max_polls, "the input queue did not drain"
        result = poll_once(sqs, queues.input, handler, LambdaContext())
        if not result.received_ids:
            return log
        log.invocations += 1
        for message_id in result.received_ids:
            log.receives[message_id] = log.receives.get(message_id, 0) + 1
        for message_id in result.failed_ids:
            log.reported[message_id] = log.reported.get(message_id, 0) + 1
