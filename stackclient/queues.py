"""Take only our own messages from a shared queue, releasing everyone else's at once.

Integration tests never purge: a message that is not ours gets its visibility reset to 0 so a
parallel run (or the real consumer) sees it again immediately.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

Message = dict[str, Any]


def take_matching(
    sqs: Any,
    queue_url: str,
    is_ours: Callable[[Message], bool],
    expected: int,
    timeout_s: float,
) -> list[Message]:
    """Receive until ``expected`` of our messages arrived (deleting them) or the deadline."""
    taken: list[Message] = []
    deadline = time.monotonic() + timeout_s
    while len(taken) < expected and time.monotonic() < deadline:
        response = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=1,
            VisibilityTimeout=30,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        for message in response.get("Messages", []):
            if is_ours(message):
                taken.append(message)
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            else:
                sqs.change_message_visibility(
                    QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
    return taken


def queue_depth(sqs: Any, queue_url: str) -> tuple[int, int]:
    """(visible, in flight) message counts, from two reads in a row that agree.

    One read can count a message in neither: moto reads its clock for each count, and a
    visibility timeout ending between those readings leaves the message out of both. A second
    read cannot miss the same message (its timeout has ended by then), so a read confirmed by the
    next one counts every message; a queue that keeps changing gets its last read (SQS's counts
    are approximate on AWS too)."""
    last = _counts(sqs, queue_url)
    for _ in range(_CONFIRMING_READS):
        counts = _counts(sqs, queue_url)
        if counts == last:
            break
        last = counts
    return last


_CONFIRMING_READS = 4


def _counts(sqs: Any, queue_url: str) -> tuple[int, int]:
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return (
        int(attributes["ApproximateNumberOfMessages"]),
        int(attributes["ApproximateNumberOfMessagesNotVisible"]),
    )
