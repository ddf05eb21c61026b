"""Powertools BatchProcessor for the input queue that decides when each failed message returns.

With ReportBatchItemFailures, Lambda leaves a failed message invisible for the rest of the queue's
VisibilityTimeout (180 s). Five receives (the redrive maxReceiveCount) would then take 15 minutes
to move a poison message to the DLQ. Overriding `failure_handler` lets each failure set the
message's visibility itself: 0 for permanent failures (redriven within seconds), a bounded
exponential backoff by receive count for failures that may be transient.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    ExceptionInfo,
    FailureResponse,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

from inbox_outbox.dal.input_queue import change_visibility, queue_url_from_arn
from inbox_outbox.logic.failure_visibility import is_permanent, visibility_timeout_after_failure
from inbox_outbox.models import InboxMessage, InboxSqsRecord
from inbox_outbox.settings import RetryBackoff
from lambda_observability.powertools import logger


@dataclass(frozen=True, slots=True)
class FailedMessage:
    """What a failure needs from the record, whichever shape Powertools handed over."""

    message_id: str
    receipt_handle: str
    receive_count: int
    queue_arn: str


def failed_message(record: SQSRecord | InboxSqsRecord) -> FailedMessage:
    """Normalise a failed record.

    A record whose body failed the Parser model arrives as the SQSRecord data class (Powertools'
    poison-pill path); one that failed later, in the record handler, as the parsed model.
    """
    if isinstance(record, InboxSqsRecord):
        return FailedMessage(
            message_id=record.messageId,
            receipt_handle=record.receiptHandle,
            receive_count=_as_int(record.attributes.ApproximateReceiveCount),
            queue_arn=record.eventSourceARN,
        )
    return FailedMessage(
        message_id=record.message_id,
        receipt_handle=record.receipt_handle,
        receive_count=_as_int(record.attributes.approximate_receive_count),
        queue_arn=record.event_source_arn,
    )


def _as_int(value: str | None) -> int:
    try:
        return int(value or "1")
    except ValueError:
        return 1


# Field names the models define; any other name in an error location came from the body.
_KNOWN_FIELDS = frozenset({*InboxSqsRecord.model_fields, *InboxMessage.model_fields})


def _safe_location(location: tuple[int | str, ...]) -> list[int | str]:
    return [
        part if isinstance(part, int) or part in _KNOWN_FIELDS else "<unexpected field>"
        for part in location
    ]


def _error_summary(error: BaseException) -> list[dict[str, Any]]:
    # Locations and error types only: pydantic's messages embed the input (a message body), and
    # an extra_forbidden location is a key of the body, so unknown names are masked too.
    if isinstance(error, ValidationError):
        return [
            {"loc": _safe_location(tuple(detail["loc"])), "type": detail["type"]}
            for detail in error.errors(include_input=False, include_url=False)
        ]
    return [{"type": type(error).__name__}]


class BackoffBatchProcessor(BatchProcessor):
    """SQS BatchProcessor (Parser model InboxSqsRecord) that sets failed messages' visibility."""

    def __init__(self, retry_backoff: RetryBackoff) -> None:
        # Never fail the whole batch: every failure is reported as a batch item failure, so only
        # the bad messages come back and good neighbours are deleted by the event source mapping.
        super().__init__(
            event_type=EventType.SQS, model=InboxSqsRecord, raise_on_entire_batch_failure=False
        )
        self.retry_backoff = retry_backoff

    # Counts of the current batch, from the exceptions Powertools collects (reset per batch).
    @property
    def rejected_count(self) -> int:
        return sum(1 for _, error, _ in self.exceptions if error and is_permanent(error))

    @property
    def retried_count(self) -> int:
        return len(self.exceptions) - self.rejected_count

    def failure_handler(self, record: Any, exception: ExceptionInfo) -> FailureResponse:
        entry: FailureResponse = super().failure_handler(record, exception)
        error = exception[1]
        if error is None or not isinstance(record, SQSRecord | InboxSqsRecord):
            return entry
        message = failed_message(record)
        permanent = is_permanent(error)
        timeout_s = visibility_timeout_after_failure(
            error, message.receive_count, self.retry_backoff
        )
        logger.warning(
            "Message rejected" if permanent else "Message failed; will retry",
            extra={
                "inbox_message_id": message.message_id,
                "receive_count": message.receive_count,
                "permanent": permanent,
                "visibility_timeout_s": timeout_s,
                "errors": _error_summary(error),
            },
            # A transient error's traceback helps; a validation error's would only repeat the body.
            exc_info=None if permanent else error,
        )
        self._set_visibility(message, timeout_s)
        return entry

    @staticmethod
    def _set_visibility(message: FailedMessage, timeout_s: int) -> None:
        try:
            change_visibility(
                queue_url_from_arn(message.queue_arn), message.receipt_handle, timeout_s
            )
        except (ClientError, BotoCoreError, ValueError) as error:
            # Still reported as a failure: it comes back after the queue's own timeout instead.
            # No traceback: it would chain the validation error, whose text quotes the body.
            logger.error(
                "Could not change the failed message's visibility",
                extra={"inbox_message_id": message.message_id, "error": str(error)},
            )
