"""Output-queue access: send forwarded messages; lease, delete and release outbox messages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from inbox_outbox.dal.clients import sqs_client
from inbox_outbox.logic.sqs_body import outbox_body
from inbox_outbox.models import OutboxMessage, ReceiptFailure


@dataclass(frozen=True, slots=True)
class ReceivedMessage:
    """An output-queue message as leased: enough to return it and to delete or release it."""

    message_id: str
    receipt_handle: str
    body: str


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    """Per receipt, what one SQS batch call did: every receipt is in exactly one list."""

    succeeded: list[str] = field(default_factory=list)
    failed: list[ReceiptFailure] = field(default_factory=list)


def send_outbox_message(queue_url: str, message: OutboxMessage) -> str:
    """Send one message to the output queue; returns its SQS MessageId."""
    response = sqs_client().send_message(QueueUrl=queue_url, MessageBody=outbox_body(message))
    return response["MessageId"]


def receive_messages(
    queue_url: str, max_messages: int, wait_s: int, lease_s: int
) -> list[ReceivedMessage]:
    """Lease up to `max_messages` (1..10): invisible to every other reader for `lease_s` seconds."""
    response = sqs_client().receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=max_messages,
        WaitTimeSeconds=wait_s,
        VisibilityTimeout=lease_s,
    )
    return [
        ReceivedMessage(
            message_id=message["MessageId"],
            receipt_handle=message["ReceiptHandle"],
            body=message["Body"],
        )
        for message in response.get("Messages", [])
    ]


def _outcome(receipts: Sequence[str], response: Any) -> BatchOutcome:
    # Entry ids are positions: batch ids must be [A-Za-z0-9_-]{1,80}, receipts are not.
    outcome = BatchOutcome(
        succeeded=[receipts[int(entry["Id"])] for entry in response.get("Successful", [])]
    )
    for entry in response.get("Failed", []):
        outcome.failed.append(
            ReceiptFailure(
                receipt=receipts[int(entry["Id"])],
                code=str(entry.get("Code", "")),
                message=str(entry.get("Message", "")),
            )
        )
    return outcome


def delete_messages(queue_url: str, receipts: Sequence[str]) -> BatchOutcome:
    """Delete leased messages (1..10 receipts) in one DeleteMessageBatch call.

    Deleting is idempotent: a receipt already used to delete succeeds again. A receipt SQS refuses
    (malformed, or of another queue) is reported in `failed` and deletes nothing.
    """
    if not receipts:
        return BatchOutcome()
    response = sqs_client().delete_message_batch(
        QueueUrl=queue_url,
        Entries=[{"Id": str(index), "ReceiptHandle": r} for index, r in enumerate(receipts)],
    )
    return _outcome(receipts, response)


def release_messages(queue_url: str, receipts: Sequence[str]) -> BatchOutcome:
    """End leases at once (visibility timeout 0): the messages are visible to the next read."""
    if not receipts:
        return BatchOutcome()
    response = sqs_client().change_message_visibility_batch(
        QueueUrl=queue_url,
        Entries=[
            {"Id": str(index), "ReceiptHandle": r, "VisibilityTimeout": 0}
            for index, r in enumerate(receipts)
        ],
    )
    return _outcome(receipts, response)
