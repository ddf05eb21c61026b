"""RecordProcessorFunction: Kinesis records {batch, id} -> processed-records table.

Valid records become items (duplicates collapsed, written concurrently); records that can never
succeed go to the rejected-records queue with a reason; records whose item or rejection did not
land are reported in batchItemFailures so Lambda retries from the lowest of them.
"""

from __future__ import annotations

import time
from collections import Counter
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambda_observability.powertools import MetricUnit, logger, metrics, tracer
from record_stream.dal.batch_writer import BatchWriter, table_writer
from record_stream.dal.clients import sqs_client
from record_stream.dal.put_requests import processed_put_request
from record_stream.dal.rejected_queue import RejectedRecordsQueue
from record_stream.logic.kinesis_records import ClassifiedBatch, classify_records
from record_stream.logic.pending_writes import failed_sequence_numbers
from record_stream.logic.processed_items import processed_items
from record_stream.partial_response import partial_response
from record_stream.settings import processor_settings

processor = BatchProcessor(event_type=EventType.KinesisDataStreams)


@cache
def processed_table_writer() -> BatchWriter:
    settings = processor_settings()
    return table_writer(settings.processed_table_name, settings.write)


@cache
def rejected_records_queue() -> RejectedRecordsQueue:
    return RejectedRecordsQueue(sqs_client(), processor_settings().rejected_records_queue_url)


def _sequence_number(record: KinesisStreamRecord) -> str:
    return record.kinesis.sequence_number


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    records = event.get("Records", [])
    batch = classify_records(records)
    pending = processed_items(batch.valid, processed_ms=time.time_ns() // 1_000_000)

    written = processed_table_writer().write(
        {key: processed_put_request(write.item) for key, write in pending.items()},
        time_left=lambda: context.get_remaining_time_in_millis() / 1000,
    )
    undelivered = rejected_records_queue().send(batch.rejected)

    unwritten = failed_sequence_numbers(pending, written.failed_keys)
    _log_outcome(batch, unwritten, undelivered)
    for name, value in (
        ("RecordsReceived", len(records)),
        ("RecordsWritten", len(batch.valid) - len(unwritten)),
        ("DuplicateRecordsCollapsed", len(batch.valid) - len(pending)),
        ("RecordsRetried", written.retried),  # item puts resent after UnprocessedItems
        ("RecordsRejected", len(batch.rejected) - len(undelivered)),
        ("RecordsFailed", len(unwritten) + len(undelivered)),
    ):
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)

    return partial_response(event, processor, unwritten | undelivered, _sequence_number, context)


def _log_outcome(batch: ClassifiedBatch, unwritten: set[str], undelivered: set[str]) -> None:
    # Counts, reasons and positions only: record contents never reach the logs.
    if batch.rejected:
        logger.info(
            "Records rejected",
            extra={"reasons": dict(Counter(record.reason.value for record in batch.rejected))},
        )
        for record in batch.rejected:
            logger.debug(
                "Record rejected",
                extra={
                    "reason": record.reason.value,
                    "detail": record.detail,
                    "shard_id": record.shard_id,
                    "sequence_number": record.sequence_number,
                },
            )
    if unwritten or undelivered:
        logger.warning(
            "Records reported for retry",
            extra={"unwritten": len(unwritten), "rejections_undelivered": len(undelivered)},
        )
