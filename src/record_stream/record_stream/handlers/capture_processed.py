"""EventListenerFunction (test harness): processed-table stream -> listener table with timings.

For each INSERT/MODIFY image it writes {PK, SK, batch, id, arrival_ms, processed_ms, captured_ms,
expires_at} with the same batch writer as the processor; records whose write did not land are
reported in batchItemFailures by their stream SequenceNumber.
"""

from __future__ import annotations

import time
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.parser.models import DynamoDBStreamModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambda_observability.powertools import MetricUnit, logger, metrics, tracer
from record_stream.dal.batch_writer import BatchWriter
from record_stream.dal.clients import dynamodb_client
from record_stream.dal.item_attributes import captured_item_attributes
from record_stream.logic.captured_items import CapturedItem, captured_item
from record_stream.logic.pending_writes import collapse_by_key, failed_sequence_numbers
from record_stream.partial_response import partial_response
from record_stream.settings import listener_settings

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


@cache
def listener_table_writer() -> BatchWriter:
    settings = listener_settings()
    client = dynamodb_client(settings.write.concurrency)
    return BatchWriter(client, settings.listener_table_name, settings.write)


def _sequence_number(record: DynamoDBRecord) -> str | None:
    return record.dynamodb.sequence_number if record.dynamodb else None


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    stream = DynamoDBStreamModel.model_validate(event)
    captured_ms = time.time_ns() // 1_000_000

    captured: list[tuple[tuple[str, str], CapturedItem, str]] = []
    for record in stream.Records:
        image = record.dynamodb.NewImage
        item = captured_item(image, captured_ms) if isinstance(image, dict) else None
        if item is None:
            # Nothing to capture (no image or no key); retrying cannot change that.
            logger.warning(
                "Stream record without a usable NewImage", extra={"event_id": record.eventID}
            )
            continue
        captured.append(((item.batch, item.id), item, record.dynamodb.SequenceNumber))
    pending = collapse_by_key(captured)

    written = listener_table_writer().write(
        {key: captured_item_attributes(write.item) for key, write in pending.items()},
        time_left=lambda: context.get_remaining_time_in_millis() / 1000,
    )
    failed = failed_sequence_numbers(pending, written.failed_keys)
    metrics.add_metric(
        name="RecordsCaptured", unit=MetricUnit.Count, value=len(captured) - len(failed)
    )
    metrics.add_metric(name="RecordsFailed", unit=MetricUnit.Count, value=len(failed))

    return partial_response(event, processor, failed, _sequence_number, context)
