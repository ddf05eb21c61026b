"""A fixed number of gateway calls in flight, each on a worker thread, none queued.

The gateway's work (auth, validation, the integration: a Lambda invoke or an SQS call) blocks, so
it runs on threads; the event loop only parses HTTP. ``try_submit`` refuses at once when every
slot is taken, rather than queueing without limit. A slot is freed when the call really ends,
not when the caller stops waiting (a timed-out integration still holds its thread), so the
number of threads never exceeds ``size``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class IntegrationPool:
    def __init__(self, size: int, name: str = "api-integration") -> None:
        if size < 1:
            raise ValueError("the pool needs at least one slot")
        self.size = size
        self._slots = threading.BoundedSemaphore(size)
        self._executor = ThreadPoolExecutor(max_workers=size, thread_name_prefix=name)

    def try_submit(self, call: Callable[[], T]) -> Future[T] | None:
        """The call's future, or None when ``size`` calls are already running."""
        if not self._slots.acquire(blocking=False):
            return None

        def run() -> T:
            try:
                return call()
            finally:
                self._slots.release()

        try:
            return self._executor.submit(run)
        except RuntimeError:  # shut down
            self._slots.release()
            return None

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
