"""How each polling loop is doing, for the log and ``localcloud status``.

A loop that fails (moto unreachable, a queue or stream deleted, a bug of ours) must neither spin
nor fail silently: :class:`FailingLoop` backs it off exponentially up to a cap, logs every
failure with its count and the next delay, and records it in the loop's :class:`PollerHealth`,
which the server shows at ``GET /_localcloud/pollers`` and ``status`` prints.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from localcloud.esm.backoff import Backoff
from localcloud.esm.settings import PollerSettings

logger = logging.getLogger(__name__)


@dataclass
class PollerHealth:
    """One polling loop: a shard's worker, a stream's shard discovery, a mapping's SQS pollers."""

    mapping: str  # the mapping's logical id
    loop: str  # which loop of the mapping: a shard id, "shards", "queue"
    source_arn: str
    consecutive_failures: int = 0
    total_failures: int = 0
    last_error: str | None = None
    last_error_at: float | None = None  # epoch seconds
    retry_in_s: float | None = None
    last_ok_at: float | None = None  # epoch seconds of the last call that worked
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record_failure(self, error: BaseException, retry_in_s: float) -> int:
        with self._lock:
            self.consecutive_failures += 1
            self.total_failures += 1
            self.last_error = f"{type(error).__name__}: {error}"[:500]
            self.last_error_at = time.time()
            self.retry_in_s = retry_in_s
            return self.consecutive_failures

    def record_success(self) -> None:
        with self._lock:
            self.consecutive_failures = 0
            self.retry_in_s = None
            self.last_ok_at = time.time()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "mapping": self.mapping,
                "loop": self.loop,
                "source_arn": self.source_arn,
                "state": "backing off" if self.consecutive_failures else "ok",
                "consecutive_failures": self.consecutive_failures,
                "total_failures": self.total_failures,
                "last_error": self.last_error,
                "last_error_at": self.last_error_at,
                "retry_in_s": self.retry_in_s,
                "last_ok_at": self.last_ok_at,
            }


class HealthBoard:
    """Every loop's health, in the order the loops started; thread-safe."""

    def __init__(self) -> None:
        self._entries: list[PollerHealth] = []
        self._lock = threading.Lock()

    def register(self, mapping: str, loop: str, source_arn: str) -> PollerHealth:
        health = PollerHealth(mapping, loop, source_arn)
        with self._lock:
            self._entries.append(health)
        return health

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            entries = list(self._entries)
        return [entry.snapshot() for entry in entries]


class FailingLoop:
    """The error path of one polling loop: count, log, back off (capped), recover."""

    def __init__(self, health: PollerHealth, settings: PollerSettings, stop: threading.Event):
        self.health = health
        self._backoff = Backoff(settings.error_backoff_s, settings.error_backoff_max_s, stop)

    def failed(self, error: BaseException) -> bool:
        """Records and logs ``error``, then waits; False when stopped meanwhile."""
        delay = self._backoff.next_delay_s
        count = self.health.record_failure(error, delay)
        logger.error(
            "%s %s: %s (failure %d in a row; next try in %.1f s)",
            self.health.mapping,
            self.health.loop,
            self.health.last_error,
            count,
            delay,
            # The traceback once per run of failures: the first says where, the rest repeat it.
            exc_info=error if count == 1 else None,
        )
        return self._backoff.wait()

    def succeeded(self) -> None:
        if self.health.consecutive_failures:
            logger.info(
                "%s %s: recovered after %d failures",
                self.health.mapping,
                self.health.loop,
                self.health.consecutive_failures,
            )
        self.health.record_success()
        self._backoff.reset()
