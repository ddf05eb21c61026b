"""Ship the functions' output to CloudWatch Logs, and their EMF lines to CloudWatch metrics.

Off the invoke's hot path: a worker's output pump only queues each line (``submit``); one thread
drains the queue every ``interval_s`` and sends per log stream, in timestamp order, through the
local cloud's own endpoint (moto's CloudWatch Logs and CloudWatch, one request at a time like
every other caller). The log group and stream are created on an environment's first output, as
Lambda does on a function's first invoke; a group the template declares already exists.
``stop`` drains everything queued before it returns, so no line is lost on shutdown.
A failed delivery is retried on the next rounds, then dropped with a warning naming the count.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from localcloud.clients import local_client, local_session
from localcloud.functions import emf

log = logging.getLogger(__name__)

# PutLogEvents: at most 10,000 events and 1,048,576 bytes (message bytes + 26 each) per call.
MAX_BATCH_EVENTS = 10_000
MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD = 26
# CloudWatch Logs keeps at most 256 KB of one event; Lambda truncates longer lines.
MAX_EVENT_BYTES = 256 * 1024 - EVENT_OVERHEAD
MAX_METRIC_ITEMS = 1000  # PutMetricData items per call
ATTEMPTS = 3


_STOP = object()


def _truncate(message: str) -> str:
    data = message.encode("utf-8")
    if len(data) <= MAX_EVENT_BYTES:
        return message
    return data[:MAX_EVENT_BYTES].decode("utf-8", errors="ignore")


@dataclass
class _Pending:
    events: list[tuple[int, str]] = field(default_factory=list)
    attempts: int = 0


class LogDelivery:
    def __init__(self, endpoint_url: str, region: str, interval_s: float = 0.2) -> None:
        session = local_session(region)
        config = Config(retries={"mode": "standard", "max_attempts": 2})
        self._logs = local_client("logs", endpoint_url, region, config, session)
        self._cloudwatch = local_client("cloudwatch", endpoint_url, region, config, session)
        self._interval_s = interval_s
        # Items: (group, stream, timestamp_ms, message), a flush request (an Event), or _STOP.
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._pending: dict[tuple[str, str], _Pending] = defaultdict(_Pending)
        self._known_groups: set[str] = set()
        self._known_streams: set[tuple[str, str]] = set()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="log-delivery", daemon=True)

    def start(self) -> LogDelivery:
        self._thread.start()
        return self

    def submit(self, group: str, stream: str, timestamp_ms: int, message: str) -> None:
        """Queue one log event; returns at once."""
        self._queue.put((group, stream, timestamp_ms, message))

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Deliver everything submitted before this call; False if that took over ``timeout_s``."""
        if not self._thread.is_alive():
            return False
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout_s)

    def stop(self) -> None:
        """Deliver everything queued, then end the thread."""
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stopping:
            flushes = self._collect(time.monotonic() + self._interval_s)
            self._send_all(final=self._stopping)
            for done in flushes:
                done.set()

    def _collect(self, deadline: float) -> list[threading.Event]:
        """Move queued events into ``_pending`` until the deadline, a flush request or _STOP."""
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                item = self._queue.get(timeout=remaining)
            except queue.Empty:
                break
            if isinstance(item, threading.Event):
                return [item]  # FIFO: every event submitted before it is in _pending now
            if item is _STOP:
                self._stopping = True
                return self._drain()
            group, stream, timestamp_ms, message = item
            self._pending[(group, stream)].events.append((timestamp_ms, _truncate(message)))
        return []

    def _drain(self) -> list[threading.Event]:
        flushes: list[threading.Event] = []
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return flushes
            if isinstance(item, threading.Event):
                flushes.append(item)
            elif item is not _STOP:
                group, stream, timestamp_ms, message = item
                self._pending[(group, stream)].events.append((timestamp_ms, _truncate(message)))

    def _send_all(self, final: bool) -> None:
        for key in list(self._pending):
            pending = self._pending[key]
            try:
                self._send(key, pending)
            except (BotoCoreError, ClientError) as error:
                pending.attempts += 1
                if final or pending.attempts >= ATTEMPTS:
                    log.warning(
                        "dropped %d log events of %s %s: %s", len(pending.events), *key, error
                    )
                    del self._pending[key]
                continue
            del self._pending[key]

    def _send(self, key: tuple[str, str], pending: _Pending) -> None:
        """Send in PutLogEvents-sized batches; what was sent leaves ``pending`` at once."""
        group, stream = key
        self._ensure_stream(group, stream)
        pending.events.sort(key=lambda event: event[0])  # stable: equal stamps keep their order
        while pending.events:
            batch: list[dict[str, Any]] = []
            size = 0
            for timestamp_ms, message in pending.events:
                cost = len(message.encode("utf-8")) + EVENT_OVERHEAD
                if batch and (len(batch) >= MAX_BATCH_EVENTS or size + cost > MAX_BATCH_BYTES):
                    break
                batch.append({"timestamp": timestamp_ms, "message": message})
                size += cost
            self._logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=batch)
            del pending.events[: len(batch)]
            self._metrics(group, [event["message"] for event in batch])

    def _ensure_stream(self, group: str, stream: str) -> None:
        if (group, stream) in self._known_streams:
            return
        exists = self._logs.exceptions.ResourceAlreadyExistsException
        if group not in self._known_groups:
            with contextlib.suppress(exists):  # declared by the template
                self._logs.create_log_group(logGroupName=group)
            self._known_groups.add(group)
        with contextlib.suppress(exists):
            self._logs.create_log_stream(logGroupName=group, logStreamName=stream)
        self._known_streams.add((group, stream))

    def _metrics(self, group: str, messages: list[str]) -> None:
        """The EMF lines' metrics; a failure loses those metrics (logged), never the lines."""
        by_namespace: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for message in messages:
            try:
                batches = emf.extract(message)
            except emf.InvalidEmf as invalid:
                log.warning("%s: an EMF line yields no metric (%s)", group, invalid)
                continue
            for batch in batches:
                by_namespace[batch.namespace].extend(batch.items)
        for namespace, items in by_namespace.items():
            for start in range(0, len(items), MAX_METRIC_ITEMS):
                try:
                    self._cloudwatch.put_metric_data(
                        Namespace=namespace, MetricData=items[start : start + MAX_METRIC_ITEMS]
                    )
                except (BotoCoreError, ClientError) as error:
                    log.warning(
                        "%s: metrics of namespace %s not stored: %s", group, namespace, error
                    )
