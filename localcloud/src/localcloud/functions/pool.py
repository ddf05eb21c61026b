"""A pool of workers for one function: as many as its concurrency allows, started on demand.

Like Lambda's execution environments, a worker serves one invoke at a time and stays warm for
the next; a worker that timed out, crashed or ran out of memory is dropped and the next invoke
starts a fresh one (a cold start). When every worker is busy and the pool is full, an invoke
waits for one (Lambda would throttle; the local cloud queues instead). A new configuration
(``reconfigure``: UpdateFunctionConfiguration) retires every worker, idle ones at once and busy
ones when their invoke ends, so each later invoke runs with it, as in Lambda.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from localcloud.functions.worker import Worker
from localcloud.specs import FunctionSpec


class PoolClosed(RuntimeError):
    pass


class WorkerPool:
    def __init__(self, spec: FunctionSpec, env: dict[str, str], size: int) -> None:
        self.spec = spec
        self.size = max(1, size)
        self._env = env
        self._idle: list[Worker] = []
        self._all: set[Worker] = set()
        # Busy workers of an older configuration: they finish their invoke, then stop.
        self._retiring: set[Worker] = set()
        self._starting = 0
        self._closed = False
        self._numbers = itertools.count(1)
        self._changed = threading.Condition()

    @property
    def workers(self) -> int:
        with self._changed:
            return len(self._all)

    def worker_pids(self, busy_only: bool = False) -> set[int]:
        """Process ids of the live workers (only those running an invoke, if ``busy_only``)."""
        with self._changed:
            workers = [w for w in self._all | self._retiring if not (busy_only and w in self._idle)]
        return {w.pid for w in workers if w.alive}

    def _acquire(self) -> Worker:
        with self._changed:
            while True:
                if self._closed:
                    raise PoolClosed(self.spec.function_name)
                if self._idle:
                    return self._idle.pop()  # the warmest one
                if len(self._all) + len(self._retiring) + self._starting < self.size:
                    self._starting += 1
                    spec, env = self.spec, self._env
                    break
                self._changed.wait()
        try:
            worker = Worker(spec, env, next(self._numbers))
        except BaseException:
            with self._changed:
                self._starting -= 1
                self._changed.notify()
            raise
        with self._changed:
            self._starting -= 1
            if not self._closed:
                if spec is not self.spec:  # reconfigured while it started: retire it after use
                    self._retiring.add(worker)
                else:
                    self._all.add(worker)
                return worker
        worker.kill()
        raise PoolClosed(self.spec.function_name)

    def _release(self, worker: Worker) -> None:
        with self._changed:
            if worker.alive and not self._closed and worker not in self._retiring:
                self._idle.append(worker)
            else:
                self._all.discard(worker)
                self._retiring.discard(worker)
                worker.kill()
            self._changed.notify()

    def reconfigure(self, spec: FunctionSpec, env: dict[str, str]) -> None:
        """Later invokes run ``spec`` with ``env`` in new workers; the current ones retire."""
        with self._changed:
            self.spec, self._env = spec, env
            idle = list(self._idle)
            self._idle.clear()
            self._all.difference_update(idle)
            self._retiring.update(self._all)
            self._all.clear()
            self._changed.notify_all()
        for worker in idle:
            worker.stop(grace_s=0.5)

    @contextmanager
    def worker(self) -> Iterator[Worker]:
        """A worker for exactly one invoke."""
        worker = self._acquire()
        try:
            yield worker
        finally:
            self._release(worker)

    def prewarm(self) -> None:
        """Start one worker and wait for its handler import (init) to finish."""
        with self.worker() as worker:
            worker.wait_ready()

    def close(self) -> None:
        with self._changed:
            self._closed = True
            workers = list(self._all | self._retiring)
            self._all.clear()
            self._retiring.clear()
            self._idle.clear()
            self._changed.notify_all()
        # EOF to all first, so they exit in parallel, then reap (or kill) each.
        for worker in workers:
            worker.request_stop()
        for worker in workers:
            worker.stop(grace_s=0.5)
