"""Output-queue access: send forwarded messages, receive and delete what GET /outbox returns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from inbox_outbox.dal.sqs_client import sqs_client
from inbox_outbox.logic.sqs_body import outbox_body
from inbox_outbox.models import OutboxMessage


@dataclass(frozen=True, slots=True)
class ReceivedMessage:
    """An output-queue message as received: enough to return it and to delete it."""

    message_id: str
    receipt_handle: str
    body: str


def send_outbox_message(queue_url: str, message: OutboxMessage) -> str:
    """Send one message to the output queue; returns its SQS MessageId."""
    response = sqs_client().send_message(QueueUrl=queue_url, MessageBody=outbox_body(message))
    return response["MessageId"]


def receive_messages(queue_url: str, max_messages: int, wait_s: int) -> list[ReceivedMessage]:
    """Receive up to `max_messages` (1..10); they stay invisible for the queue's timeout."""
    response = sqs_client().receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=max_messages, WaitTimeSeconds=wait_s
    )
    return [
        ReceivedMessage(
            message_id=message["MessageId"],
            receipt_handle=message["ReceiptHandle"],
            body=message["Body"],
        )
        for message in response.get("Messages", [])
    ]


def delete_messages(queue_url: str, messages: Sequence[ReceivedMessage]) -> set[str]:
    """Delete the messages in one DeleteMessageBatch call; returns the MessageIds deleted.

    A message that fails to delete (an entry in `Failed`, e.g. an expired receipt handle) is left
    out of the result; it reappears once its visibility timeout ends.
    """
    if not messages:
        return set()
    # Batch entry ids must be unique and [A-Za-z0-9_-]{1,80}: positions are, MessageIds need not be.
    by_entry_id = {str(index): message for index, message in enumerate(messages)}
    response = sqs_client().delete_message_batch(
        QueueUrl=queue_url,
        Entries=[
            {"Id": entry_id, "ReceiptHandle": message.receipt_handle}
            for entry_id, message in by_entry_id.items()
        ],
    )
    return {by_entry_id[entry["Id"]].message_id for entry in response.get("Successful", [])}
