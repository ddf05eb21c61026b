"""ProcessInputQueueFunction: validate each input-queue message and forward it to the output queue.

Powertools' BatchProcessor parses every record with the InboxSqsRecord Parser model and reports
each failure as a batch item failure (never the whole batch); BackoffBatchProcessor sets when each
failed message comes back. The handler only wires these together and publishes the counts.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from inbox_outbox.backoff_processor import BackoffBatchProcessor
from inbox_outbox.dal.output_queue import send_outbox_message
from inbox_outbox.logic.inbox_messages import reject_poison_type, to_outbox_message
from inbox_outbox.models import InboxSqsRecord
from inbox_outbox.settings import process_input_settings
from lambda_observability.powertools import MetricUnit, logger, metrics, tracer


# Not wrapped in tracer.capture_method: it would log every rejected message's traceback at ERROR.
# Tracer's boto3 patching already traces the SendMessage call.
def forward_message(record: InboxSqsRecord) -> str:
    """Forward one validated message; returns the output queue's MessageId."""
    settings = process_input_settings()
    reject_poison_type(record.body, settings.poison_message_type)
    output_message_id = send_outbox_message(settings.output_queue_url, to_outbox_message(record))
    logger.debug(
        "Message forwarded",
        extra={"inbox_message_id": record.messageId, "output_message_id": output_message_id},
    )
    return output_message_id


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    # A processor per invoke: its counters describe this batch only.
    processor = BackoffBatchProcessor(process_input_settings().retry_backoff)
    response = process_partial_response(
        event=event, record_handler=forward_message, processor=processor, context=context
    )
    forwarded = len(processor.success_messages)
    metrics.add_metric(name="MessagesForwarded", unit=MetricUnit.Count, value=forwarded)
    metrics.add_metric(
        name="MessagesRejected", unit=MetricUnit.Count, value=processor.rejected_count
    )
    metrics.add_metric(name="MessagesRetried", unit=MetricUnit.Count, value=processor.retried_count)
    logger.info(
        "Batch processed",
        extra={
            "received": len(event.get("Records", [])),
            "forwarded": forwarded,
            "rejected": processor.rejected_count,
            "retried": processor.retried_count,
        },
    )
    return response
