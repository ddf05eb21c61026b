"""Runs event source mappings: one poller per mapping, each with its own stop event.

``start()`` runs the enabled mappings it was given; ``run(key, mapping)`` and ``halt(key)``
start and stop one mapping at runtime (the Lambda API in ``localcloud.esm.mappings``): a halted
stream mapping's checkpoints (and open tumbling windows) are kept under its key, so running it
again (re-enabled, or updated) resumes after the last processed record, as Lambda does. A
stream mapping's invokes report to the ``ProcessingResult`` it runs with (its
``LastProcessingResult``). Starting only creates threads (nothing talks to moto on the caller's
thread); ``stop()`` sets every stop event, which every wait and backoff listens to, closes every
idle poller's wake-up (``localcloud.esm.wakeups``), and joins. ``health()`` is every running
polling loop's state.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from localcloud.esm.arns import function_arn
from localcloud.esm.clients import AwsClients
from localcloud.esm.filters import RecordFilter
from localcloud.esm.health import HealthBoard
from localcloud.esm.identity import resolve_role_arn
from localcloud.esm.on_failure import DiscardedBatch, OnFailureDestination, stream_failure_record
from localcloud.esm.processing_result import ProcessingResult
from localcloud.esm.settings import PollerSettings
from localcloud.esm.sqs.poller import SqsPoller
from localcloud.esm.streams.dynamodb import DynamoDbStreamSource
from localcloud.esm.streams.kinesis import KinesisSource
from localcloud.esm.streams.poller import StreamPoller
from localcloud.esm.streams.source import StreamSource
from localcloud.esm.streams.windows import Window
from localcloud.esm.wakeups import Subscriptions, WakeupBoard
from localcloud.specs import EventSourceMappingSpec, Invoker

logger = logging.getLogger(__name__)


class Poller(Protocol):
    def start(self) -> None: ...

    def join(self, deadline: float) -> None: ...


class _Running:
    """One mapping's poller with what stops it and what it reports."""

    def __init__(
        self, poller: Poller, stop: threading.Event, health: HealthBoard, wakeups: Subscriptions
    ) -> None:
        self.poller = poller
        self.stop = stop
        self.health = health
        self.wakeups = wakeups

    def signal_stop(self) -> None:
        self.stop.set()
        self.wakeups.close()  # ends its idle waits now


class EventSourceMappingSupervisor:
    def __init__(
        self,
        mappings: list[EventSourceMappingSpec],
        invoker: Invoker,
        endpoint_url: str,
        region: str,
        settings: PollerSettings | None = None,
        *,
        wakeups: WakeupBoard | None = None,
        resume_from: dict[str, dict[str, str]] | None = None,
    ) -> None:
        """``wakeups``: the board the moto server rings on writes (``LocalCloudServer.wakeups``);
        without it, or with ``settings.wake_on_writes`` off, idle pollers poll every
        ``settings.idle_poll_interval_s``."""
        self._mappings = [m for m in mappings if m.enabled]
        # Stream checkpoints by mapping and shard, from a saved cloud (localcloud.persistence).
        self._resume_from = resume_from or {}
        self._invoker = invoker
        self._region = region
        self._settings = settings or PollerSettings()
        if wakeups is None or not self._settings.wake_on_writes:
            wakeups = WakeupBoard()  # nobody rings it: the pollers poll
        self._board = wakeups
        self._clients = AwsClients(endpoint_url, region)
        self._lock = threading.Lock()
        self._stopped = False
        self._started = False
        self._running: dict[str, _Running] = {}
        # Key -> shard id -> checkpoint / open tumbling window, of stream mappings halted to be
        # resumed.
        self._checkpoints: dict[str, dict[str, str]] = {}
        self._windows: dict[str, dict[str, Window]] = {}
        self._logical_ids: dict[str, str] = {}  # key -> the mapping's logical id
        for mapping in self._mappings:
            # Fails fast on an invalid pattern, as CreateEventSourceMapping would.
            RecordFilter(mapping.filter_patterns)

    def start(self) -> None:
        if self._started:
            return
        self._started = True
        for mapping in self._mappings:
            self.run(mapping.logical_id, mapping)

    def run(
        self, key: str, mapping: EventSourceMappingSpec, result: ProcessingResult | None = None
    ) -> None:
        """Starts polling ``mapping`` under ``key``, from the checkpoints ``halt`` kept;
        ``result`` is where its invokes' outcomes go (its ``LastProcessingResult``)."""
        RecordFilter(mapping.filter_patterns)
        with self._lock:
            if self._stopped or key in self._running:
                return
            stop, health, wakeups = threading.Event(), HealthBoard(), Subscriptions(self._board)
            # A halted mapping's own checkpoints, else a saved cloud's (by logical id), which
            # its poller now reports.
            resume = self._checkpoints.get(key) or self._resume_from.pop(mapping.logical_id, None)
            # An open window goes on only with the same window length.
            windows = {
                shard: window
                for shard, window in self._windows.pop(key, {}).items()
                if window.length_s == mapping.tumbling_window_s
            }
            self._logical_ids[key] = mapping.logical_id
            poller = self._poller_for(
                mapping,
                stop=stop,
                health=health,
                wakeups=wakeups,
                resume_from=resume,
                resume_windows=windows,
                result=result,
            )
            self._running[key] = _Running(poller, stop, health, wakeups)
            poller.start()
        logger.info("polling %s for %s (%s)", mapping.event_source_arn, mapping.function_name, key)

    def halt(self, key: str) -> None:
        """Stops the poller of ``key`` and waits for it; keeps its checkpoints for ``run``."""
        with self._lock:
            running = self._running.pop(key, None)
        if running is None:
            return
        running.signal_stop()
        running.poller.join(time.monotonic() + self._settings.join_timeout_s)
        if isinstance(running.poller, StreamPoller):
            with self._lock:
                self._checkpoints[key] = running.poller.checkpoints()
                self._windows[key] = running.poller.windows()
        logger.info("stopped polling for %s", key)

    def forget(self, key: str, logical_id: str) -> None:
        """Drops what a deleted mapping left (after ``halt``), a saved cloud's checkpoints of
        ``logical_id`` included."""
        with self._lock:
            self._checkpoints.pop(key, None)
            self._windows.pop(key, None)
            self._resume_from.pop(logical_id, None)
            self._logical_ids.pop(key, None)

    def checkpoints(self) -> dict[str, dict[str, str]]:
        """Each stream mapping's checkpoint per shard by logical id (for localcloud.persistence;
        a mapping created at runtime has its UUID as logical id), a saved cloud's included for
        the mappings not run since (a disabled one keeps its position). SQS keeps its own."""
        with self._lock:
            running = {k: r for k, r in self._running.items() if isinstance(r.poller, StreamPoller)}
            found = {logical_id: dict(c) for logical_id, c in self._resume_from.items() if c}
            found.update({self._logical_ids[k]: dict(c) for k, c in self._checkpoints.items() if c})
        for key, each in running.items():
            assert isinstance(each.poller, StreamPoller)
            if checkpoints := each.poller.checkpoints():
                found[self._logical_ids[key]] = checkpoints
        return found

    def health(self) -> list[dict[str, Any]]:
        with self._lock:
            boards = [running.health for running in self._running.values()]
        return [entry for board in boards for entry in board.snapshot()]

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            running = dict(self._running)
            self._running.clear()
        for each in running.values():
            each.signal_stop()
        deadline = time.monotonic() + self._settings.join_timeout_s
        for key, each in running.items():
            each.poller.join(deadline)
            if isinstance(each.poller, StreamPoller):
                # What checkpoints() reports after the stop: a saved cloud's last position.
                with self._lock:
                    self._checkpoints[key] = each.poller.checkpoints()

    def _poller_for(
        self,
        mapping: EventSourceMappingSpec,
        *,
        stop: threading.Event,
        health: HealthBoard,
        wakeups: Subscriptions,
        resume_from: dict[str, str] | None,
        resume_windows: dict[str, Window],
        result: ProcessingResult | None,
    ) -> Poller:
        if mapping.source == "sqs":
            return SqsPoller(
                mapping,
                clients=self._clients,
                region=self._region,
                invoker=self._invoker,
                settings=self._settings,
                stop=stop,
                health=health,
                wakeups=wakeups,
            )
        return StreamPoller(
            mapping,
            make_source=self._source_factory(mapping),
            invoker=self._invoker,
            discard_factory=self._discarder(mapping),
            settings=self._settings,
            stop=stop,
            health=health,
            wakeups=wakeups,
            resume_from=resume_from,
            resume_windows=resume_windows,
            result=result,
        )

    def _source_factory(self, mapping: EventSourceMappingSpec) -> Callable[[], StreamSource]:
        clients, region, arn = self._clients, self._region, mapping.event_source_arn
        if mapping.source == "kinesis":

            def kinesis() -> StreamSource:
                role = resolve_role_arn(clients, mapping.function_name, arn)
                return KinesisSource(clients, arn, region, role)

            return kinesis

        def dynamodb() -> StreamSource:
            return DynamoDbStreamSource(clients, arn, region)

        return dynamodb

    def _discarder(
        self, mapping: EventSourceMappingSpec
    ) -> Callable[[StreamSource], Callable[[DiscardedBatch], None]]:
        destination = OnFailureDestination(self._clients, mapping.on_failure_destination_arn)
        fn_arn = function_arn(mapping.event_source_arn, mapping.function_name)

        def for_source(source: StreamSource) -> Callable[[DiscardedBatch], None]:
            def discard(batch: DiscardedBatch) -> None:
                logger.warning(
                    "%s %s: discarding %d records (%s)",
                    mapping.logical_id,
                    batch.shard_id,
                    len(batch.records),
                    batch.condition,
                )
                destination.send(stream_failure_record(batch, source, fn_arn))

            return discard

        return for_source
