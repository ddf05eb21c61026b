"""Runs every enabled event source mapping of a deployed stack: one poller per mapping.

``start()`` only creates and starts threads (nothing talks to moto on the caller's thread);
``stop()`` sets one shared stop event, which every wait and backoff listens to, closes every
idle poller's wake-up (``localcloud.esm.wakeups``), and joins.
``health()`` is every polling loop's state (ok, or backing off with its last error).
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
from localcloud.esm.settings import PollerSettings
from localcloud.esm.sqs.poller import SqsPoller
from localcloud.esm.streams.dynamodb import DynamoDbStreamSource
from localcloud.esm.streams.kinesis import KinesisSource
from localcloud.esm.streams.poller import StreamPoller
from localcloud.esm.streams.source import StreamSource
from localcloud.esm.wakeups import Subscriptions, WakeupBoard
from localcloud.specs import EventSourceMappingSpec, Invoker

logger = logging.getLogger(__name__)


class Poller(Protocol):
    def start(self) -> None: ...

    def join(self, deadline: float) -> None: ...


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
        self._wakeups = Subscriptions(wakeups)
        self._clients = AwsClients(endpoint_url, region)
        self._stop = threading.Event()
        self._pollers: list[Poller] = []
        self._stream_pollers: dict[str, StreamPoller] = {}
        self._health = HealthBoard()
        for mapping in self._mappings:
            # Fails fast on an invalid pattern, as CreateEventSourceMapping would.
            RecordFilter(mapping.filter_patterns)

    def start(self) -> None:
        if self._pollers:
            return
        for mapping in self._mappings:
            poller = self._poller_for(mapping)
            poller.start()
            self._pollers.append(poller)
            logger.info(
                "polling %s for %s (%s)",
                mapping.event_source_arn,
                mapping.function_name,
                mapping.logical_id,
            )

    def checkpoints(self) -> dict[str, dict[str, str]]:
        """Each stream mapping's checkpoint per shard (SQS keeps its own position: the queue)."""
        return {
            logical_id: checkpoints
            for logical_id, poller in self._stream_pollers.items()
            if (checkpoints := poller.checkpoints())
        }

    def health(self) -> list[dict[str, Any]]:
        return self._health.snapshot()

    def stop(self) -> None:
        self._stop.set()
        self._wakeups.close()
        deadline = time.monotonic() + self._settings.join_timeout_s
        for poller in self._pollers:
            poller.join(deadline)

    def _poller_for(self, mapping: EventSourceMappingSpec) -> Poller:
        if mapping.source == "sqs":
            return SqsPoller(
                mapping,
                clients=self._clients,
                region=self._region,
                invoker=self._invoker,
                settings=self._settings,
                stop=self._stop,
                health=self._health,
                wakeups=self._wakeups,
            )
        poller = self._stream_pollers[mapping.logical_id] = StreamPoller(
            mapping,
            make_source=self._source_factory(mapping),
            invoker=self._invoker,
            discard_factory=self._discarder(mapping),
            settings=self._settings,
            stop=self._stop,
            health=self._health,
            wakeups=self._wakeups,
            resume_from=self._resume_from.get(mapping.logical_id),
        )
        return poller

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
