"""Turn output-queue messages into GET /outbox items, keeping bodies that do not parse."""

from __future__ import annotations

from pydantic import ValidationError

from inbox_outbox.models import OutboxItem, OutboxMessage


def to_outbox_item(queue_message_id: str, receipt: str, body: str) -> OutboxItem:
    """The API item for one leased output-queue message.

    Its `messageId` is the inbox one the process-input function carried in the body (what
    POST /inbox answered), so a caller can match a result to its request. A body that is not an
    OutboxMessage (not JSON, or JSON of another shape: someone wrote to the queue directly) is
    returned raw under the output queue's MessageId: returning it is better than hiding it, where
    it would loop to the DLQ unseen.
    """
    try:
        outbox = OutboxMessage.model_validate_json(body)
    except ValidationError:
        return OutboxItem(
            id=None,
            message=None,
            type=None,
            received_at=None,
            message_id=queue_message_id,
            receipt=receipt,
            raw=body,
        )
    return OutboxItem(
        id=outbox.id,
        message=outbox.message,
        type=outbox.type,
        received_at=outbox.received_at,
        message_id=outbox.inbox_message_id,
        receipt=receipt,
    )
