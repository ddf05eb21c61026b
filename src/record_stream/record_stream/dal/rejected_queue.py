"""Sending rejected records to the rejected-records queue with SendMessageBatch.

Messages go 10 per call and at most 256 KiB per call (SQS limits for a batch); an entry SQS
reports as failed, or a whole call that raises, leaves its records undelivered. The caller
reports those as batch item failures, so a record is never dropped because the queue was down.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from lambda_observability.powertools import logger
from record_stream.logic.kinesis_records import RejectedRecord
from record_stream.logic.rejection_message import MAX_MESSAGE_BYTES, rejection_message

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

MAX_ENTRIES_PER_CALL = 10
MAX_BYTES_PER_CALL = 256 * 1024


def pack_messages(
    bodies: Sequence[str],
    max_entries: int = MAX_ENTRIES_PER_CALL,
    max_bytes: int = MAX_BYTES_PER_CALL,
) -> list[list[int]]:
    """Group body indexes into calls within both the entry and the total-size limits."""
    calls: list[list[int]] = []
    current: list[int] = []
    size = 0
    for index, body in enumerate(bodies):
        body_bytes = len(body.encode("utf-8"))
        if current and (len(current) == max_entries or size + body_bytes > max_bytes):
            calls.append(current)
            current, size = [], 0
        current.append(index)
        size += body_bytes
    if current:
        calls.append(current)
    return calls


class RejectedRecordsQueue:
    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def send(self, records: Sequence[RejectedRecord]) -> set[str]:
        """Send one message per record; returns the sequence numbers that were not delivered."""
        bodies = [rejection_message(record, MAX_MESSAGE_BYTES) for record in records]
        undelivered: set[str] = set()
        for call in pack_messages(bodies):
            entries: list[SendMessageBatchRequestEntryTypeDef] = [
                {"Id": str(index), "MessageBody": bodies[index]} for index in call
            ]
            try:
                response = self._client.send_message_batch(
                    QueueUrl=self._queue_url, Entries=entries
                )
            except (ClientError, BotoCoreError) as error:
                logger.warning(
                    "SendMessageBatch failed", extra={"entries": len(entries), "error": str(error)}
                )
                undelivered.update(records[index].sequence_number for index in call)
                continue
            for failure in response.get("Failed", []):
                logger.warning(
                    "Rejected record not accepted by the queue",
                    extra={"code": failure.get("Code"), "sender_fault": failure.get("SenderFault")},
                )
                undelivered.add(records[int(failure["Id"])].sequence_number)
        return undelivered
