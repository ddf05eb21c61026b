"""A poison message reaches InputQueueDLQ in a few polls, while its neighbours reach OutputQueue.

The loop plays Lambda's SQS event source mapping (receive, invoke, delete what did not fail);
moto applies the template's redrive policy on receive. No clock is advanced: the handler's
visibility change alone must bring the poison message back for its next receive.
"""

from __future__ import annotations

import json
from typing import Any

from inbox_outbox.handlers.process_input import lambda_handler
from stackclient.queues import queue_depth
from tests.unit.inbox_outbox.moto_queues import (
    InboxOutboxQueues,
    drain,
    poll_once,
    template,
)


def test_poison_messages_reach_the_dlq_and_neighbours_the_output_queue(
    sqs: Any, queues: InboxOutboxQueues, lambda_context: Any
) -> None:
    max_receive_count = template()["Resources"]["InputQueue"]["Properties"]["RedrivePolicy"][
        "maxReceiveCount"
    ]
    poison_bodies = [
        json.dumps({"id": "poison-1", "message": "x", "type": "malformed"}),
        '{"id": "not-json", ',
    ]
    poison_ids = {
        sqs.send_message(QueueUrl=queues.input.url, MessageBody=body)["MessageId"]
        for body in poison_bodies
    }
    for index in range(6):
        body = json.dumps({"id": f"neighbour-{index}", "message": f"m{index}"})
        sqs.send_message(QueueUrl=queues.input.url, MessageBody=body)

    polls = 0
    receives: dict[str, int] = {}
    while queue_depth(sqs, queues.input_dlq.url)[0] < len(poison_ids):
        polls += 1
        assert polls <= max_receive_count + 2, "poison messages did not reach the DLQ in time"
        result = poll_once(sqs, queues.input, lambda_handler, lambda_context)
        for message_id in result.received_ids:
            receives[message_id] = receives.get(message_id, 0) + 1
        assert result.failed_ids <= poison_ids, "a good message was reported as failed"

    dead = drain(sqs, queues.input_dlq.url)
    assert {m["MessageId"] for m in dead} == poison_ids
    # Each was received exactly maxReceiveCount times before the redrive.
    assert all(receives[message_id] == max_receive_count for message_id in poison_ids)
    assert queue_depth(sqs, queues.input.url) == (0, 0)
    forwarded = sorted(json.loads(m["Body"])["id"] for m in drain(sqs, queues.output.url))
    assert forwarded == [f"neighbour-{index}" for index in range(6)]
