"""Turn output-queue messages into GET /outbox items, keeping bodies that do not parse."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import ValidationError

from inbox_outbox.models import OutboxItem, OutboxMessage, OutboxPage


def to_outbox_item(message_id: str, body: str) -> OutboxItem:
    """The API item for one output-queue message.

    A body that is not an OutboxMessage (not JSON, or JSON of another shape: someone wrote to the
    queue directly) is returned raw. Returning it is better than dropping it: GET /outbox deletes
    what it returns, and a body we refused to return would otherwise loop to the DLQ unseen.
    """
    try:
        outbox = OutboxMessage.model_validate_json(body)
    except ValidationError:
        return OutboxItem(
            id=None, message=None, type=None, received_at=None, message_id=message_id, raw=body
        )
    return OutboxItem(
        id=outbox.id,
        message=outbox.message,
        type=outbox.type,
        received_at=outbox.received_at,
        message_id=message_id,
    )


def to_outbox_page(items: Iterable[OutboxItem]) -> OutboxPage:
    """The GET /outbox body for the items that were taken off the queue."""
    messages = list(items)
    return OutboxPage(messages=messages, count=len(messages))
