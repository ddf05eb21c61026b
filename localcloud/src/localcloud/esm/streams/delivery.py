"""Delivering one batch of a shard until every record is processed or discarded.

This is the error-handling half of a stream mapping, as the Lambda developer guide describes it:

- success: done (the caller checkpoints after the batch);
- partial failure (ReportBatchItemFailures): the records before the lowest failed sequence
  number are done; retry from that record (a retry);
- full failure (function error, timeout, crash, malformed partial response, or every record
  reported failed): with BisectBatchOnFunctionError the batch is split in halves that
  are delivered one after the other, each with its own retry budget (splitting is not a
  retry); a single record, or without bisect, is retried;
- retries beyond MaximumRetryAttempts (-1: no limit) discard the (sub)batch to OnFailure;
- before every invoke, records older than MaximumRecordAgeInSeconds are discarded to OnFailure
  without being invoked.

Records are delivered strictly in order and one batch at a time, so a shard's order holds
under retries. A retry resends the remaining records of the same batch (AWS re-reads from
the checkpoint and may add newer records; the order and the records' fate are the same).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from localcloud.esm.backoff import Backoff
from localcloud.esm.on_failure import DiscardedBatch, FailureCondition
from localcloud.esm.results import Failed, PartiallyFailed, Succeeded, classify
from localcloud.esm.sender import invoke_batch
from localcloud.esm.settings import PollerSettings
from localcloud.esm.streams.source import StreamRecord
from localcloud.specs import EventSourceMappingSpec, Invoker, InvokeResult

logger = logging.getLogger(__name__)


class StreamBatchDelivery:
    def __init__(
        self,
        spec: EventSourceMappingSpec,
        *,
        shard_id: str,
        invoker: Invoker,
        discard: Callable[[DiscardedBatch], None],
        settings: PollerSettings,
        stop: threading.Event,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._spec = spec
        self._shard_id = shard_id
        self._invoker = invoker
        self._discard = discard
        self._settings = settings
        self._stop = stop
        self._clock = clock

    def deliver(self, records: list[StreamRecord]) -> bool:
        """Processes or discards every record; False only when stopped before the end."""
        return self._deliver(records) if records else True

    def _deliver(self, records: list[StreamRecord]) -> bool:
        spec = self._spec
        backoff = Backoff(
            self._settings.retry_backoff_initial_s, self._settings.retry_backoff_max_s, self._stop
        )
        invokes = 0
        retries = 0
        last: InvokeResult | None = None
        while True:
            if self._stop.is_set():
                return False
            records = self._discard_expired(records, invokes, last)
            if not records:
                return True
            last = invoke_batch(self._invoker, spec.function_name, [r.event for r in records])
            invokes += 1
            outcome = classify(
                last, spec.report_batch_item_failures, [r.sequence_number for r in records]
            )
            if isinstance(outcome, Succeeded):
                return True
            if isinstance(outcome, PartiallyFailed) and len(outcome.failed_ids) < len(records):
                # Checkpoint before the lowest failed record; retry from it.
                first_failed = min(
                    i for i, r in enumerate(records) if r.sequence_number in outcome.failed_ids
                )
                records = records[first_failed:]
                logger.info(
                    "%s %s: partial failure, retrying from %s",
                    spec.logical_id,
                    self._shard_id,
                    records[0].sequence_number,
                )
            else:
                reason = outcome.reason if isinstance(outcome, Failed) else "all records failed"
                logger.info("%s %s: batch failed (%s)", spec.logical_id, self._shard_id, reason)
                if spec.bisect_batch_on_function_error and len(records) > 1:
                    middle = len(records) // 2
                    return self._deliver(records[:middle]) and self._deliver(records[middle:])
            retries += 1
            if 0 <= spec.maximum_retry_attempts < retries:
                self._discard(
                    DiscardedBatch(self._shard_id, records, "RetryAttemptsExhausted", invokes, last)
                )
                return True
            if not backoff.wait():
                return False

    def _discard_expired(
        self, records: list[StreamRecord], invokes: int, last: InvokeResult | None
    ) -> list[StreamRecord]:
        max_age = self._spec.maximum_record_age_s
        if max_age < 0:
            return records
        now = self._clock()
        # Arrival times grow along a shard, so the expired records are a prefix.
        keep_from = 0
        while keep_from < len(records) and now - records[keep_from].arrival > max_age:
            keep_from += 1
        if keep_from:
            condition: FailureCondition = "RecordAgeExceeded"
            self._discard(
                DiscardedBatch(self._shard_id, records[:keep_from], condition, invokes, last)
            )
        return records[keep_from:]
