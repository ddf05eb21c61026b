"""The SQS poller: receive a batch, invoke, delete what succeeded.

Like Lambda: each poller thread receives up to BatchSize messages (receives of at most 10,
repeated until the batch is full, the batching window has elapsed or the payload reaches
6 MB), deletes messages that match no filter without invoking, invokes with the rest, and
then deletes all of them (success), the ones not reported failed (ReportBatchItemFailures),
or none (function error, malformed partial response). Undeleted messages reappear after the
queue's visibility timeout and moto moves them to the dead-letter queue per the queue's
RedrivePolicy. The number of poller threads, at most ScalingConfig.MaximumConcurrency, bounds
concurrent invokes. Filters are evaluated message by message and only when the mapping has
some; a poller that keeps failing backs off up to a cap and shows it (``localcloud.esm.health``).

Only the first poller of a mapping waits for the queue: it long-polls moto
(``PollerSettings.sqs_wait_time_s``), which answers the moment a message lands, and wakes the
others when a receive comes back full, so one message costs one receive, not one per poller
(five receives fighting for the GIL added ~100 ms to POST /inbox -> GET /outbox in
bench/latency.py). The others sleep until then (``localcloud.esm.wakeups``). With the long poll
off (0 s), the first poller sleeps too, until the moto server sees a message sent to its queue
or a visibility change, now or when it falls due. After a batch failed a poller rings itself
for when the messages' visibility timeout ends; what nothing announces (another consumer's
lease running out, a move into this queue as a dead-letter queue) waits for the safety poll.

Cost note, measured on moto 5.2.5: ReceiveMessage scans the whole queue, so it slows down
linearly with queue depth (32 ms at 100 queued, 412 ms at 1,000, 1.45 s at 3,000); a deep
backlog drains at moto's pace, not the function's.
"""

from __future__ import annotations

import logging
import threading
import time
from functools import partial
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from localcloud.esm.arns import parse_arn, sqs_queue_name
from localcloud.esm.backoff import Backoff
from localcloud.esm.batching import BatchBuilder, json_size
from localcloud.esm.clients import AwsClients
from localcloud.esm.filters import RecordFilter
from localcloud.esm.health import FailingLoop, HealthBoard, PollerHealth
from localcloud.esm.results import Failed, PartiallyFailed, Succeeded, classify
from localcloud.esm.sender import invoke_batch
from localcloud.esm.settings import PollerSettings
from localcloud.esm.sqs.records import sqs_event_record, sqs_filter_view
from localcloud.esm.wakeups import (
    VISIBLE_MARGIN_S,
    Subscriptions,
    Wakeup,
    WatchKey,
    records_key,
)
from localcloud.specs import EventSourceMappingSpec, Invoker

logger = logging.getLogger(__name__)

_MAX_MESSAGES_PER_RECEIVE = 10


class SqsPoller:
    def __init__(
        self,
        spec: EventSourceMappingSpec,
        *,
        clients: AwsClients,
        region: str,
        invoker: Invoker,
        settings: PollerSettings,
        stop: threading.Event,
        health: HealthBoard,
        wakeups: Subscriptions,
    ) -> None:
        self._spec = spec
        self._wakeups = wakeups
        self._clients = clients
        self._region = region
        self._invoker = invoker
        self._settings = settings
        self._stop = stop
        self._filter = RecordFilter(spec.filter_patterns)
        self._backlog: WatchKey = ("sqs-backlog", spec.logical_id)
        self._queue_url: str | None = None
        self._url_lock = threading.Lock()
        self.concurrency = self._concurrency(spec, settings)
        self._threads = [
            threading.Thread(
                target=self._run,
                args=(health.register(spec.logical_id, f"poller {i}", spec.event_source_arn), i),
                name=f"esm-{spec.logical_id}-{i}",
                daemon=True,
            )
            for i in range(self.concurrency)
        ]

    @staticmethod
    def _concurrency(spec: EventSourceMappingSpec, settings: PollerSettings) -> int:
        wanted = spec.maximum_concurrency or settings.sqs_default_concurrency
        return max(1, min(wanted, settings.sqs_max_concurrency))

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def join(self, deadline: float) -> None:
        for thread in self._threads:
            thread.join(max(deadline - time.monotonic(), 0))

    def _run(self, health: PollerHealth, index: int) -> None:
        # Poller 0 waits for the queue; the others for poller 0 to find more than one receive
        # holds: one message wakes one poller, a backlog all of them.
        watched = records_key(self._spec) if index == 0 else self._backlog
        wakeup = self._wakeups.subscribe(watched)
        long_poll_s = self._long_poll_s(index)
        sqs = self._clients.client("sqs")
        backoff = Backoff(
            self._settings.retry_backoff_initial_s, self._settings.retry_backoff_max_s, self._stop
        )
        errors = FailingLoop(health, self._settings, self._stop)
        while not self._stop.is_set():
            try:
                invoked_ok = self._poll_once(sqs, errors, wakeup, long_poll_s)
            except Exception as error:
                errors.failed(error)
                continue
            if invoked_ok:
                backoff.reset()
            else:
                # Failed invokes: back off instead of hammering a failing function.
                backoff.wait()

    def _long_poll_s(self, index: int) -> int:
        """How long poller `index` long-polls an empty queue: only the first one with wake-ups."""
        if index == 0 or not self._settings.wake_on_writes:
            return self._settings.sqs_wait_time_s
        return 0

    def _url(self, sqs: Any) -> str:
        with self._url_lock:
            if self._queue_url is None:
                arn = self._spec.event_source_arn
                self._queue_url = str(
                    sqs.get_queue_url(
                        QueueName=sqs_queue_name(arn),
                        QueueOwnerAWSAccountId=parse_arn(arn).account,
                    )["QueueUrl"]
                )
            return self._queue_url

    def _poll_once(self, sqs: Any, errors: FailingLoop, wakeup: Wakeup, long_poll_s: int) -> bool:
        """One receive-invoke-delete cycle; False when an invoke failed."""
        url = self._url(sqs)
        ok = True
        for records in self._receive(sqs, url, errors, wakeup, long_poll_s):
            ok = self._process(sqs, url, records, wakeup) and ok
        return ok

    @staticmethod
    def _ring_when_visible_again(sqs: Any, url: str, wakeup: Wakeup) -> None:
        """Messages left undeleted reappear after the queue's visibility timeout: look then."""
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])
        wakeup.ring(float(attributes["Attributes"]["VisibilityTimeout"]) + VISIBLE_MARGIN_S)

    def _receive(
        self, sqs: Any, url: str, errors: FailingLoop, wakeup: Wakeup, long_poll_s: int
    ) -> list[list[dict[str, Any]]]:
        spec = self._spec
        batch: BatchBuilder[dict[str, Any]] = BatchBuilder(
            spec.batch_size, spec.maximum_batching_window_s
        )
        while not self._stop.is_set():
            wakeup.arm()  # a send from here on ends the idle wait below
            wanted = min(_MAX_MESSAGES_PER_RECEIVE, max(batch.room, 1))
            response = sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=wanted,
                # Long-poll (if set) only while empty; then top up without waiting.
                WaitTimeSeconds=0 if batch else long_poll_s,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            errors.succeeded()  # the queue answers: an idle queue is a healthy one
            messages = response.get("Messages", [])
            if len(messages) == wanted:
                self._wakeups.ring(self._backlog)  # likely more: the other pollers help
            for message in messages:
                record = sqs_event_record(message, spec.event_source_arn, self._region)
                batch.add(record, json_size(record))
            if batch.ready():
                return batch.take()
            if not messages:
                self._idle(wakeup, batch.time_left() if batch else None, long_poll_s)
        # Stopping: received but unprocessed messages reappear after their visibility timeout.
        return []

    def _idle(self, wakeup: Wakeup, window_left: float | None, long_poll_s: int) -> None:
        """Waits between empty receives: within a batching window, or when not long-polling."""
        interval = self._settings.idle_poll_interval_s
        if window_left is not None:
            wakeup.wait(min(interval, window_left))
        elif long_poll_s == 0:
            wakeup.wait(interval)

    def _process(self, sqs: Any, url: str, records: list[dict[str, Any]], wakeup: Wakeup) -> bool:
        spec = self._spec
        matched = [
            r
            for r in records
            if self._filter.admits(
                partial(sqs_filter_view, r), f"{spec.logical_id} message {r['messageId']}"
            )
        ]
        if len(matched) < len(records):
            matched_ids = {r["messageId"] for r in matched}
            # Lambda deletes messages that match no filter, without invoking.
            self._delete(sqs, url, [r for r in records if r["messageId"] not in matched_ids])
        if not matched:
            return True
        result = invoke_batch(self._invoker, spec.function_name, matched)
        outcome = classify(
            result, spec.report_batch_item_failures, [r["messageId"] for r in matched]
        )
        if isinstance(outcome, Succeeded):
            self._delete(sqs, url, matched)
            return True
        self._ring_when_visible_again(sqs, url, wakeup)
        if isinstance(outcome, PartiallyFailed):
            self._delete(sqs, url, [r for r in matched if r["messageId"] not in outcome.failed_ids])
            return True
        assert isinstance(outcome, Failed)
        logger.info("%s: batch of %d failed (%s)", spec.logical_id, len(matched), outcome.reason)
        return False

    def _delete(self, sqs: Any, url: str, records: list[dict[str, Any]]) -> None:
        for start in range(0, len(records), _MAX_MESSAGES_PER_RECEIVE):
            chunk = records[start : start + _MAX_MESSAGES_PER_RECEIVE]
            entries = [
                {"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(chunk)
            ]
            try:
                response = sqs.delete_message_batch(QueueUrl=url, Entries=entries)
            except (ClientError, BotoCoreError):
                logger.exception("%s: cannot delete messages", self._spec.logical_id)
                continue
            for failure in response.get("Failed", []):
                logger.warning("%s: delete failed: %s", self._spec.logical_id, failure)
