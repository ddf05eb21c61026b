"""The poller shared by Kinesis and DynamoDB Streams mappings.

One discovery thread per mapping lists the stream's shards (at start and every few seconds, to
pick up resharding) and starts one worker thread per shard; a child shard starts only after
its parent is drained, as Lambda does. Each worker reads its shard from the mapping's
StartingPosition (shards found later start at TRIM_HORIZON), filters, batches and delivers one
batch at a time, and checkpoints after each batch. The checkpoint is what an expired
iterator, or an unexpected error, resumes from (at-least-once, like Lambda); a loop that keeps
failing backs off up to a cap and shows it (``localcloud.esm.health``). An idle worker sleeps
until the moto server sees a write to its stream or table (``localcloud.esm.wakeups``); the
discovery thread until a reshard, or a worker finishing. Filters are evaluated
record by record and only when the mapping has some: no record's content can fail a read.
With TumblingWindowInSeconds a worker splits batches at window boundaries and closes each window
with its final invoke (``localcloud.esm.streams.windows``); an open window, like a checkpoint,
outlives a pause of the mapping. ParallelizationFactor > 1 is not modelled: each shard is
processed by one worker.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from functools import partial

from localcloud.esm.batching import BatchBuilder
from localcloud.esm.filters import RecordFilter
from localcloud.esm.health import FailingLoop, HealthBoard
from localcloud.esm.on_failure import DiscardedBatch
from localcloud.esm.processing_result import ProcessingResult
from localcloud.esm.settings import PollerSettings
from localcloud.esm.streams.delivery import StreamBatchDelivery
from localcloud.esm.streams.source import (
    IteratorExpiredError,
    IteratorType,
    Shard,
    StreamRecord,
    StreamSource,
)
from localcloud.esm.streams.windows import Window, by_window
from localcloud.esm.wakeups import Subscriptions, Wakeup, records_key, shards_key
from localcloud.specs import EventSourceMappingSpec, Invoker

logger = logging.getLogger(__name__)


class ShardWorker:
    def __init__(
        self,
        spec: EventSourceMappingSpec,
        *,
        source: StreamSource,
        shard: Shard,
        start_at: IteratorType,
        invoker: Invoker,
        discard: Callable[[DiscardedBatch], None],
        settings: PollerSettings,
        stop: threading.Event,
        health: HealthBoard,
        wakeup: Wakeup,
        on_finished: Callable[[], None],
        checkpoint: str | None = None,
        window: Window | None = None,
        result: ProcessingResult | None = None,
    ) -> None:
        self._spec = spec
        self._source = source
        self._wakeup = wakeup
        self._on_finished = on_finished
        self._errors = FailingLoop(
            health.register(spec.logical_id, shard.shard_id, spec.event_source_arn),
            settings,
            stop,
        )
        self.shard_id = shard.shard_id
        self._closed = shard.closed
        self._start_at = start_at
        self._filter = RecordFilter(spec.filter_patterns)
        self._settings = settings
        self._stop = stop
        self._delivery = StreamBatchDelivery(
            spec,
            shard_id=shard.shard_id,
            invoker=invoker,
            discard=discard,
            settings=settings,
            stop=stop,
            result=result,
        )
        # The open tumbling window (with its state), if the mapping has tumbling windows.
        self.window = window
        # The last sequence number whose record is processed, filtered out or discarded (a saved
        # cloud's, restored: localcloud.persistence).
        self.checkpoint: str | None = checkpoint
        self.finished = threading.Event()
        self.thread = threading.Thread(
            target=self._run, name=f"esm-{spec.logical_id}-{shard.shard_id}", daemon=True
        )

    def mark_closed(self) -> None:
        self._closed = True
        self._wakeup.ring()  # an idle worker finds its shard drained and finishes

    def _run(self) -> None:
        try:
            self._poll()
        finally:
            self.finished.set()
            self._on_finished()

    def _iterator(self) -> str:
        if self.checkpoint is None:
            return self._source.shard_iterator(self.shard_id, self._start_at)
        return self._source.shard_iterator(self.shard_id, "AFTER_SEQUENCE_NUMBER", self.checkpoint)

    def _add_matching(
        self, records: list[StreamRecord], batch: BatchBuilder[StreamRecord]
    ) -> str | None:
        """Adds the records that pass the filters; returns the last sequence number read."""
        for record in records:
            view_of = partial(self._source.filter_view, record)
            where = f"{self._spec.logical_id} {self.shard_id} record {record.sequence_number}"
            if self._filter.admits(view_of, where):
                batch.add(record, record.size)
        if not records:
            return None
        if not batch:
            self.checkpoint = records[-1].sequence_number  # all filtered out: skip past them
        return records[-1].sequence_number

    def _deliver(self, records: list[StreamRecord]) -> bool:
        """One batch, split at its tumbling windows' boundaries (closing the open window before
        a later one's records); False when stopped before the end."""
        length_s = self._spec.tumbling_window_s
        if not length_s:
            return self._delivery.deliver(records)
        for window, run in by_window(records, length_s):
            later = self.window is not None and self.window.start != window.start
            if later and not self._close_window():
                return False
            if self.window is None:
                self.window = window
            if not self._delivery.deliver(run, self.window):
                return False
        return True

    def _close_window(self) -> bool:
        assert self.window is not None
        if not self._delivery.close_window(self.window):
            return False
        self.window = None
        return True

    def _idle(self, batch: BatchBuilder[StreamRecord]) -> bool:
        """After a read that found nothing: closes a tumbling window whose time is over, or
        waits for a write, the batching window or the tumbling window's end. False when
        stopped while closing a window."""
        window = self.window
        if window is not None and not batch and time.time() >= window.end:
            return self._close_window()
        wait = self._settings.idle_poll_interval_s
        if batch:
            wait = min(wait, batch.time_left())
        if window is not None:
            wait = min(wait, max(window.end - time.time(), 0.0))
        self._wakeup.wait(wait)
        return True

    def _poll(self) -> None:
        spec = self._spec
        batch: BatchBuilder[StreamRecord] = BatchBuilder(
            spec.batch_size, spec.maximum_batching_window_s
        )
        iterator: str | None = None
        last_read: str | None = None
        while not self._stop.is_set():
            try:
                if iterator is None:
                    # (Re)start from the checkpoint: anything read after it is read again.
                    iterator = self._iterator()
                    batch.clear()
                    last_read = self.checkpoint
                limit = min(max(batch.room, 1), self._source.max_records_per_read)
                self._wakeup.arm()  # a write from here on ends the idle wait below
                page = self._source.read(self.shard_id, iterator, limit)
                self._errors.succeeded()
                iterator = page.next_iterator
                last_read = self._add_matching(page.records, batch) or last_read
                if batch.ready() or (batch and iterator is None):
                    for invoke_batch in batch.take():
                        if not self._deliver(invoke_batch):
                            return  # stopping: the checkpoint stays before this batch
                    self.checkpoint = last_read
                    continue
                if iterator is None or (not page.records and self._closed and not batch):
                    # A shard's end closes its window (its children start their own).
                    if self.window is None or self._close_window():
                        logger.info("%s: shard %s drained", spec.logical_id, self.shard_id)
                    return
                if not page.records and not self._idle(batch):
                    return
            except IteratorExpiredError:
                logger.info("%s: iterator of %s expired", spec.logical_id, self.shard_id)
                iterator = None
            except Exception as error:
                iterator = None  # re-read from the checkpoint after the backoff
                self._errors.failed(error)


class StreamPoller:
    """Discovers shards and runs a :class:`ShardWorker` per shard for one mapping."""

    def __init__(
        self,
        spec: EventSourceMappingSpec,
        *,
        make_source: Callable[[], StreamSource],
        invoker: Invoker,
        discard_factory: Callable[[StreamSource], Callable[[DiscardedBatch], None]],
        settings: PollerSettings,
        stop: threading.Event,
        health: HealthBoard,
        wakeups: Subscriptions,
        resume_from: dict[str, str] | None = None,
        resume_windows: dict[str, Window] | None = None,
        result: ProcessingResult | None = None,
    ) -> None:
        self._spec = spec
        self._resume_from = dict(resume_from or {})
        self._resume_windows = dict(resume_windows or {})
        self._result = result
        self._make_source = make_source
        self._wakeups = wakeups
        self._discovery = wakeups.subscribe(shards_key(spec))
        self._health = health
        self._errors = FailingLoop(
            health.register(spec.logical_id, "shards", spec.event_source_arn), settings, stop
        )
        self._invoker = invoker
        self._discard_factory = discard_factory
        self._settings = settings
        self._stop = stop
        self.workers: dict[str, ShardWorker] = {}
        self._thread = threading.Thread(
            target=self._run, name=f"esm-{spec.logical_id}-shards", daemon=True
        )

    def start(self) -> None:
        if self._spec.parallelization_factor > 1:
            # Lambda would run that many batches per shard at once (in order per partition key);
            # here each shard has one worker, so the mapping runs slower, never out of order.
            logger.warning(
                "%s: ParallelizationFactor %d is not modelled: one batch per shard at a time",
                self._spec.logical_id,
                self._spec.parallelization_factor,
            )
        self._thread.start()

    def join(self, deadline: float) -> None:
        self._thread.join(max(deadline - time.monotonic(), 0))
        for worker in list(self.workers.values()):
            worker.thread.join(max(deadline - time.monotonic(), 0))

    def _run(self) -> None:
        source: StreamSource | None = None
        initial_shards: set[str] | None = None
        while not self._stop.is_set():
            self._discovery.arm()
            try:
                if source is None:
                    source = self._make_source()
                shards = source.list_shards()
                if initial_shards is None:
                    initial_shards = {shard.shard_id for shard in shards}
                listed = {shard.shard_id for shard in shards}
                discard = self._discard_factory(source)
                for shard in shards:
                    worker = self.workers.get(shard.shard_id)
                    if worker is not None:
                        if shard.closed:
                            worker.mark_closed()
                        continue
                    parent = shard.parent_shard_id
                    if parent in listed and not self._drained(parent):
                        continue  # the parent's worker rings discovery when it finishes
                    start_at: IteratorType = "TRIM_HORIZON"
                    if shard.shard_id in initial_shards:
                        start_at = self._starting_position()
                    worker = ShardWorker(
                        self._spec,
                        source=source,
                        shard=shard,
                        start_at=start_at,
                        invoker=self._invoker,
                        discard=discard,
                        settings=self._settings,
                        stop=self._stop,
                        health=self._health,
                        wakeup=self._wakeups.subscribe(records_key(self._spec)),
                        on_finished=self._discovery.ring,
                        checkpoint=self._resume_from.get(shard.shard_id),
                        window=self._resume_windows.get(shard.shard_id),
                        result=self._result,
                    )
                    self.workers[shard.shard_id] = worker
                    worker.thread.start()
            except Exception as error:
                self._errors.failed(error)
                continue
            self._errors.succeeded()
            self._discovery.wait(self._settings.shard_discovery_interval_s)

    def checkpoints(self) -> dict[str, str]:
        """Each shard's checkpoint (restored ones too, until their worker starts)."""
        found = dict(self._resume_from)
        for shard_id, worker in list(self.workers.items()):
            if worker.checkpoint is not None:
                found[shard_id] = worker.checkpoint
        return found

    def windows(self) -> dict[str, Window]:
        """Each shard's open tumbling window (kept ones too, until their worker starts)."""
        found = dict(self._resume_windows)
        for shard_id, worker in list(self.workers.items()):
            found.pop(shard_id, None)
            if worker.window is not None:
                found[shard_id] = worker.window
        return found

    def _drained(self, shard_id: str | None) -> bool:
        worker = self.workers.get(shard_id or "")
        return worker is not None and worker.finished.is_set()

    def _starting_position(self) -> IteratorType:
        position = self._spec.starting_position or "TRIM_HORIZON"
        if position == "AT_TIMESTAMP":
            # The spec carries no StartingPositionTimestamp; reading from the oldest record
            # delivers a superset of what AT_TIMESTAMP would.
            logger.warning("%s: AT_TIMESTAMP read as TRIM_HORIZON", self._spec.logical_id)
            return "TRIM_HORIZON"
        return position
