"""Test support: the template's inbox/outbox queues on moto, one SQS event source mapping cycle.

Queues are created from template.yaml's own properties (visibility timeout, retention, redrive),
so the tests exercise the same timings and maxReceiveCount as the deployed stack.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from localcloud.esm.results import Failed, PartiallyFailed, classify
from localcloud.esm.sqs.records import sqs_event_record
from localcloud.specs import InvokeResult
from tests.repository import sample_event, template
from tests.unit.aws_environment import REGION

Handler = Callable[[dict[str, Any], Any], Any]


def inbox_message_schema() -> dict[str, Any]:
    body = template()["Resources"]["InboxOutboxApi"]["Properties"]["DefinitionBody"]
    schema: dict[str, Any] = body["components"]["schemas"]["InboxMessage"]
    return schema


def queue_attributes(logical_id: str, arns: Mapping[str, str]) -> dict[str, str]:
    """CreateQueue attributes of a template queue; `arns` resolves its DLQ's !GetAtt Arn."""
    properties = template()["Resources"][logical_id]["Properties"]
    attributes = {
        name: str(value).lower() if isinstance(value, bool) else str(value)
        for name, value in properties.items()
        if name in {"VisibilityTimeout", "MessageRetentionPeriod", "SqsManagedSseEnabled"}
    }
    if redrive := properties.get("RedrivePolicy"):
        dlq_logical_id = redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]
        attributes["RedrivePolicy"] = json.dumps(
            {
                "deadLetterTargetArn": arns[dlq_logical_id],
                "maxReceiveCount": redrive["maxReceiveCount"],
            }
        )
    return attributes


@dataclass(frozen=True)
class Queue:
    url: str
    arn: str


@dataclass(frozen=True)
class InboxOutboxQueues:
    input: Queue
    input_dlq: Queue
    output: Queue
    output_dlq: Queue


def create_queues(sqs: Any) -> InboxOutboxQueues:
    """Create the four inbox/outbox queues (DLQs first, so redrive policies can name them)."""
    created: dict[str, Queue] = {}
    arns: dict[str, str] = {}
    for logical_id in ("InputQueueDLQ", "OutputQueueDLQ", "InputQueue", "OutputQueue"):
        url = sqs.create_queue(QueueName=logical_id, Attributes=queue_attributes(logical_id, arns))[
            "QueueUrl"
        ]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        created[logical_id] = Queue(url=url, arn=arn)
        arns[logical_id] = arn
    return InboxOutboxQueues(
        input=created["InputQueue"],
        input_dlq=created["InputQueueDLQ"],
        output=created["OutputQueue"],
        output_dlq=created["OutputQueueDLQ"],
    )


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The event Lambda's SQS event source mapping builds from received messages: the local
    cloud's own records, so the unit tests and the local cloud hand the handler the same event."""
    return {"Records": [sqs_event_record(message, queue_arn, REGION) for message in messages]}


@dataclass(frozen=True)
class PollResult:
    received_ids: list[str]
    failed_ids: set[str]


def poll_once(
    sqs: Any, queue: Queue, handler: Handler, context: Any, batch_size: int = 10
) -> PollResult:
    """One ESM cycle: receive, invoke, delete what did not fail (ReportBatchItemFailures).

    The response is read by the local cloud's own rules (``esm.results.classify``); one that
    would fail the whole batch on Lambda is a defect here, not a retry."""
    messages = sqs.receive_message(
        QueueUrl=queue.url,
        MaxNumberOfMessages=batch_size,
        MessageSystemAttributeNames=["All"],
    ).get("Messages", [])
    if not messages:
        return PollResult(received_ids=[], failed_ids=set())
    received = [m["MessageId"] for m in messages]
    response = handler(sqs_event(messages, queue.arn), context)
    outcome = classify(InvokeResult(payload=response), True, received)
    if isinstance(outcome, Failed):
        raise AssertionError(f"the whole batch would fail on Lambda: {outcome.reason}")
    failed = set(outcome.failed_ids) if isinstance(outcome, PartiallyFailed) else set()
    done = [m for m in messages if m["MessageId"] not in failed]
    if done:
        sqs.delete_message_batch(
            QueueUrl=queue.url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)
            ],
        )
    return PollResult(received_ids=received, failed_ids=failed)


def drain(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    """Receive and delete everything visible in a queue (test inspection only)."""
    taken: list[dict[str, Any]] = []
    while batch := sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
    ).get("Messages", []):
        for message in batch:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        taken.extend(batch)
    return taken


def load_event(name: str) -> dict[str, Any]:
    return sample_event(f"inbox_outbox/{name}")
