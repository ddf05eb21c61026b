"""Wake-ups for idle pollers: the moto server rings when what a poller watches is written.

Every AWS call (from a client, a function or the API front) passes through the local cloud's
server, so it sees each write a poller waits for (``localcloud.poller_wakeups``): a poller with
nothing to read waits on its :class:`Wakeup` rather than asking moto again and again, and reads
as soon as a write lands. The wait still ends after ``PollerSettings.idle_poll_interval_s``, a
slow safety poll, for what no request announces: an SQS message whose visibility timeout ran
out, a message moto moved to a dead-letter queue, a write in a protocol the server does not
parse. A missed ring costs latency, never a record.

A ring can be due later (a delayed message, a visibility timeout set by
``ChangeMessageVisibility``): the wait then ends when it falls due.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Iterable

from localcloud.esm.arns import dynamodb_table_name, kinesis_stream_name, sqs_queue_name
from localcloud.specs import EventSourceMappingSpec

# What a poller watches: ("kinesis", stream name), ("dynamodb", table name), ("sqs", queue
# name), ("kinesis-shards", stream name) for the shard list, or ("sqs-backlog", mapping) for an
# SQS mapping's extra pollers. Names, not ARNs: requests name a stream or queue either way, and
# one local cloud is one account and region.
WatchKey = tuple[str, str]
# A ring due when an SQS message becomes visible comes this much later: moto decides
# visibility with its own clock, and a receive a moment early would find nothing.
VISIBLE_MARGIN_S = 0.05


def records_key(spec: EventSourceMappingSpec) -> WatchKey:
    """What a mapping's record readers watch: its stream, its table or its queue."""
    arn = spec.event_source_arn
    if spec.source == "kinesis":
        return ("kinesis", kinesis_stream_name(arn))
    if spec.source == "dynamodb":
        return ("dynamodb", dynamodb_table_name(arn))
    return ("sqs", sqs_queue_name(arn))


def shards_key(spec: EventSourceMappingSpec) -> WatchKey:
    """What a stream mapping's shard discovery watches (DynamoDB streams do not reshard)."""
    return (f"{spec.source}-shards", records_key(spec)[1])


class Wakeup:
    """One waiting loop's bell: rung by writes, by a due time, or when the pollers stop.

    ``arm()`` before reading, then ``wait()`` if the read found nothing: a write that lands
    after ``arm()`` ends the wait at once, one that landed before it was seen by the read.
    """

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._rung = False
        self._closed = False
        self._due: list[float] = []  # a heap of monotonic times

    def ring(self, delay_s: float = 0.0) -> None:
        with self._condition:
            if delay_s <= 0:
                self._rung = True
            else:
                heapq.heappush(self._due, time.monotonic() + delay_s)
            self._condition.notify_all()

    def close(self) -> None:
        """Ends every wait, now and later: the pollers are stopping."""
        with self._condition:
            self._closed = True
            self._condition.notify_all()

    def arm(self) -> None:
        with self._condition:
            self._rung = False

    def wait(self, timeout_s: float) -> bool:
        """Waits until rung, a ring falls due, closed, or ``timeout_s``; False on the timeout."""
        deadline = time.monotonic() + timeout_s
        with self._condition:
            while True:
                now = time.monotonic()
                if self._rung or self._closed:
                    return True
                if self._due and self._due[0] <= now:
                    while self._due and self._due[0] <= now:
                        heapq.heappop(self._due)
                    return True
                end = min(deadline, self._due[0]) if self._due else deadline
                if end <= now:
                    return False
                self._condition.wait(end - now)


class WakeupBoard:
    """The bells of every waiting poller loop, by what they watch."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_key: dict[WatchKey, list[Wakeup]] = {}

    def subscribe(self, key: WatchKey) -> Wakeup:
        wakeup = Wakeup()
        with self._lock:
            self._by_key.setdefault(key, []).append(wakeup)
        return wakeup

    def unsubscribe(self, wakeups: Iterable[Wakeup]) -> None:
        gone = {id(wakeup) for wakeup in wakeups}
        with self._lock:
            for key, group in list(self._by_key.items()):
                kept = [wakeup for wakeup in group if id(wakeup) not in gone]
                if kept:
                    self._by_key[key] = kept
                else:
                    del self._by_key[key]

    def ring(self, keys: Iterable[WatchKey], delay_s: float = 0.0) -> None:
        with self._lock:
            wakeups = [w for key in keys for w in self._by_key.get(key, ())]
        for wakeup in wakeups:
            wakeup.ring(delay_s)

    def ring_service(self, service: str) -> None:
        """Rings everything of `service` (a write whose target the server cannot name)."""
        with self._lock:
            keys = [key for key in self._by_key if key[0] == service]
        self.ring(keys)


class Subscriptions:
    """One supervisor's wake-ups on a board: closed and removed together when it stops."""

    def __init__(self, board: WakeupBoard) -> None:
        self._board = board
        self._lock = threading.Lock()
        self._wakeups: list[Wakeup] = []
        self._closed = False

    def subscribe(self, key: WatchKey) -> Wakeup:
        wakeup = self._board.subscribe(key)
        with self._lock:
            self._wakeups.append(wakeup)
            if self._closed:  # a thread starting while the pollers stop
                wakeup.close()
        return wakeup

    def ring(self, key: WatchKey) -> None:
        """Rings `key` on the board: a poller waking its neighbours."""
        self._board.ring([key])

    def close(self) -> None:
        with self._lock:
            self._closed = True
            wakeups = list(self._wakeups)
        for wakeup in wakeups:
            wakeup.close()
        self._board.unsubscribe(wakeups)
