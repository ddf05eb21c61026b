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

With a tumbling window (``localcloud.esm.streams.windows``) each invoke carries the window's
fields and state, a response without a ``state`` object fails the batch, and the state the
function returns is the next invoke's; ``close_window`` makes the window's final invoke. Every
invoke's outcome is the mapping's ``LastProcessingResult`` (``localcloud.esm.processing_result``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from localcloud.esm.backoff import Backoff
from localcloud.esm.on_failure import DiscardedBatch, FailureCondition
from localcloud.esm.processing_result import ProcessingResult
from localcloud.esm.results import BatchOutcome, Failed, PartiallyFailed, Succeeded, classify
from localcloud.esm.sender import invoke_batch
from localcloud.esm.settings import PollerSettings
from localcloud.esm.streams.source import StreamRecord
from localcloud.esm.streams.windows import Window, event_fields, returned_state, too_large
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
        result: ProcessingResult | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._spec = spec
        self._shard_id = shard_id
        self._invoker = invoker
        self._discard = discard
        self._settings = settings
        self._stop = stop
        self._result = result or ProcessingResult()
        self._clock = clock

    def deliver(self, records: list[StreamRecord], window: Window | None = None) -> bool:
        """Processes or discards every record (of ``window``, if the mapping has tumbling
        windows); False only when stopped before the end."""
        return self._deliver(records, window) if records else True

    def close_window(self, window: Window, *, terminated_early: bool = False) -> bool:
        """The window's final invoke (no records, its state), retried until it succeeds, as
        Lambda holds the shard until then; its state is dropped after. False when stopped."""
        backoff = self._backoff()
        while not self._stop.is_set():
            fields = self._window_fields(window, final=True, terminated_early=terminated_early)
            last = invoke_batch(self._invoker, self._spec.function_name, [], fields)
            self._result.invoked(failed=not last.ok)
            if last.ok:
                window.state = {}
                return True
            logger.info(
                "%s %s: final invoke of the window failed (%s), retrying",
                self._spec.logical_id,
                self._shard_id,
                last.function_error,
            )
            if not backoff.wait():
                break
        return False

    def _backoff(self) -> Backoff:
        settings = self._settings
        return Backoff(settings.retry_backoff_initial_s, settings.retry_backoff_max_s, self._stop)

    def _window_fields(
        self, window: Window, *, final: bool, terminated_early: bool = False
    ) -> dict[str, Any]:
        return event_fields(
            window,
            self._shard_id,
            self._spec.event_source_arn,
            final=final,
            terminated_early=terminated_early,
        )

    def _outcome(
        self, last: InvokeResult, records: list[StreamRecord], window: Window | None
    ) -> BatchOutcome:
        """What the invoke did to the batch; a window's state moves on with what succeeded."""
        outcome = classify(
            last, self._spec.report_batch_item_failures, [r.sequence_number for r in records]
        )
        if window is not None and not isinstance(outcome, Failed):
            state = returned_state(last.payload)
            if state is None:
                outcome = Failed("tumbling window: the response has no state object")
            elif isinstance(outcome, Succeeded) or len(outcome.failed_ids) < len(records):
                window.state = state
        self._result.invoked(failed=isinstance(outcome, Failed))
        return outcome

    def _end_if_too_large(self, window: Window | None) -> bool:
        """A window whose state outgrew Lambda's 1 MB ends early; it goes on with a fresh state."""
        if window is not None and too_large(window.state):
            return self.close_window(window, terminated_early=True)
        return True

    def _deliver(self, records: list[StreamRecord], window: Window | None) -> bool:
        spec = self._spec
        backoff = self._backoff()
        invokes = 0
        retries = 0
        last: InvokeResult | None = None
        while True:
            if self._stop.is_set():
                return False
            records = self._discard_expired(records, invokes, last)
            if not records:
                return True
            fields = self._window_fields(window, final=False) if window is not None else None
            last = invoke_batch(
                self._invoker, spec.function_name, [r.event for r in records], fields
            )
            invokes += 1
            outcome = self._outcome(last, records, window)
            if isinstance(outcome, Succeeded):
                return self._end_if_too_large(window)
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
                    return self._deliver(records[:middle], window) and self._deliver(
                        records[middle:], window
                    )
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
