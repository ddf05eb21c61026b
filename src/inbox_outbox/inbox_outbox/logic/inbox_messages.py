"""Rules applied to each inbox message: the poison-type test hook and the output-queue body."""

from __future__ import annotations

from inbox_outbox.models import InboxMessage, InboxSqsRecord, OutboxMessage


class PermanentMessageError(ValueError):
    """The message can never be processed, however often it is retried."""


class MalformedMessageError(PermanentMessageError):
    """The message is well-formed JSON of the right shape but declared malformed (test hook)."""


def reject_poison_type(message: InboxMessage, poison_message_type: str | None) -> None:
    """Raise MalformedMessageError if the message's `type` is the configured poison type.

    This is a test hook: integration tests post a schema-valid message (the API validates bodies,
    so an invalid one never reaches the queue through it) and watch it reach the DLQ.
    """
    if poison_message_type is not None and message.type == poison_message_type:
        raise MalformedMessageError(f"type {message.type!r} is rejected as malformed (test hook)")


def to_outbox_message(record: InboxSqsRecord) -> OutboxMessage:
    """Output-queue body for a validated input-queue record."""
    inbox = record.body
    return OutboxMessage(
        id=inbox.id,
        message=inbox.message,
        type=inbox.type,
        received_at=record.attributes.SentTimestamp,
        inbox_message_id=record.messageId,
    )
