"""Per-example record-stream resources on the module's moto account, and the handler's runs.

Each example gets its own processed-records table and rejected-records queue (created from
template.yaml's schema) and a fresh container (settings and clients re-read), so examples never
see each other's writes. `retry_like_lambda` replays what Lambda's Kinesis event source mapping
does with a partial batch response.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from record_stream.handlers import process_records
from tests.lambda_context import LambdaContext
from tests.unit.fuzz.conftest import Cloud
from tests.unit.fuzz.kinesis_cases import ItemKey, sequence_number
from tests.unit.fuzz.log_capture import logging_events
from tests.unit.record_stream.conftest import _reset_container_caches
from tests.unit.record_stream.moto_resources import RecordStreamAws, template_table

_names = itertools.count()


@dataclass(frozen=True)
class StreamAccount:
    aws: RecordStreamAws
    table: str

    def item_counts(self) -> Counter[ItemKey]:
        """How many items each (PK, SK) has (a scan, so a duplicate would show as 2)."""
        counts: Counter[ItemKey] = Counter()
        for page in self.aws.dynamodb.get_paginator("scan").paginate(TableName=self.table):
            counts.update((item["PK"]["S"], item["SK"]["S"]) for item in page["Items"])
        return counts

    def items(self) -> dict[ItemKey, dict[str, Any]]:
        return self.aws.items(self.table)

    def rejected_messages(self) -> list[dict[str, Any]]:
        return self.aws.rejected_messages()


@contextmanager
def fresh_stream_account(cloud: Cloud) -> Iterator[StreamAccount]:
    """A new table and queue, the function's environment pointing at them, a cold container."""
    suffix = next(_names)
    table = f"processed-records-{suffix}"
    cloud.dynamodb.create_table(TableName=table, **template_table("ProcessedRecordsTable"))
    queue_url = cloud.sqs.create_queue(QueueName=f"rejected-records-{suffix}")["QueueUrl"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PROCESSED_TABLE_NAME", table)
        patch.setenv("REJECTED_RECORDS_QUEUE_URL", queue_url)
        _reset_container_caches()
        try:
            yield StreamAccount(RecordStreamAws(cloud.dynamodb, cloud.sqs, queue_url), table)
        finally:
            _reset_container_caches()
            cloud.dynamodb.delete_table(TableName=table)
            cloud.sqs.delete_queue(QueueUrl=queue_url)


def invoke(event: dict[str, Any], log_event: bool = False) -> dict[str, Any]:
    """RecordProcessorFunction's handler, invoked as Lambda would (``log_event``: as deployed
    with POWERTOOLS_LOGGER_LOG_EVENT=true, Powertools logging the whole event at INFO first)."""
    handler = process_records.lambda_handler
    if log_event:
        handler = logging_events(handler)
    return dict(handler(event, LambdaContext()))


@dataclass
class RetryLog:
    invocations: int = 0
    whole_batch_retries: int = 0
    reported: list[set[str]] = field(default_factory=list)


def retry_like_lambda(
    records: list[dict[str, Any]],
    before_invoke: Callable[[int], None],
    max_invocations: int = 12,
) -> RetryLog:
    """Invoke until the batch succeeds, retrying as the Kinesis event source mapping does.

    With ReportBatchItemFailures, Lambda checkpoints before the lowest reported sequence number
    and sends the records from it onwards again; a raised error (Powertools raises when every
    record failed) makes it retry the whole batch. before_invoke(n) runs before invocation n.
    """
    log = RetryLog()
    pending = records
    while pending:
        log.invocations += 1
        assert log.invocations <= max_invocations, "the batch never succeeded"
        before_invoke(log.invocations)
        try:
            response = invoke({"Records": pending})
        except BatchProcessingError:
            log.whole_batch_retries += 1
            continue
        reported = {failure["itemIdentifier"] for failure in response["batchItemFailures"]}
        log.reported.append(reported)
        assert reported <= {sequence_number(record) for record in pending}
        if not reported:
            break
        lowest = min(int(number) for number in reported)
        pending = [record for record in pending if int(sequence_number(record)) >= lowest]
    return log
