"""ListenerFunction (test harness): processed-table stream -> listener table with timings.

Each stream record is parsed on its own (logic/listener_items.py): an odd one is skipped with a
warning and its reason, never failing its neighbours. For each INSERT/MODIFY image it writes
{PK, SK, batch, id, arrival_ms, processed_ms, captured_ms, expires_at} with the same batch writer
as the processor; records whose write did not land are reported in batchItemFailures by their
stream SequenceNumber."""

from __future__ import annotations

import time
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambda_observability.powertools import MetricUnit, logger, metrics, tracer
from record_stream.dal.batch_writer import BatchWriter, table_writer
from record_stream.dal.item_attributes import listener_item_attributes
from record_stream.dal.put_requests import put_request_json
from record_stream.logic.listener_items import listener_batch
from record_stream.logic.pending_writes import collapse_by_key, failed_sequence_numbers
from record_stream.partial_response import partial_response
from record_stream.settings import listener_settings

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


@cache
def listener_table_writer() -> BatchWriter:
    settings = listener_settings()
    return table_writer(settings.listener_table_name, settings.write)


def _sequence_number(record: DynamoDBRecord) -> str | None:
    return record.dynamodb.sequence_number if record.dynamodb else None


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    batch = listener_batch(event.get("Records", []), captured_ms=time.time_ns() // 1_000_000)
    for skipped in batch.skipped:
        logger.warning(
            "Stream record skipped",
            extra={
                "event_id": skipped.event_id,
                "reason": skipped.reason,
                "problems": list(skipped.problems),
            },
        )
    pending = collapse_by_key(batch.captured)

    written = listener_table_writer().write(
        {
            key: put_request_json(listener_item_attributes(write.item))
            for key, write in pending.items()
        },
        time_left=lambda: context.get_remaining_time_in_millis() / 1000,
    )
    failed = failed_sequence_numbers(pending, written.failed_keys)
    metrics.add_metric(
        name="RecordsCaptured", unit=MetricUnit.Count, value=len(batch.captured) - len(failed)
    )
    metrics.add_metric(name="RecordsFailed", unit=MetricUnit.Count, value=len(failed))
    metrics.add_metric(name="RecordsSkipped", unit=MetricUnit.Count, value=len(batch.skipped))

    return partial_response(event, processor, failed, _sequence_number, context)
