"""A pool of workers for one function: as many as its concurrency allows, started on demand.

Like Lambda's execution environments, a worker serves one invoke at a time and stays warm for
the next; a worker that timed out, crashed or ran out of memory is dropped and the next invoke
starts a fresh one (a cold start). When every worker is busy and the pool is full, an invoke
waits for one (Lambda would throttle; the local cloud queues instead).

``recycle`` (hot reload) retires every worker started before it: idle ones are stopped at once,
busy ones finish their invoke on the code they imported and are stopped when they come back, so
the next invoke always starts a worker that imports the code as it is now.

A pool under a debugger (``debug_address``) keeps its one worker listening: when a worker goes
(timed out, crashed, recycled) the next one starts at once, so a debugger can attach before the
next invoke rather than only during it.

A new configuration (``reconfigure``: UpdateFunctionConfiguration) is a recycle with the new
spec and environment, so each later invoke runs with it, as in Lambda.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from localcloud.functions.log_delivery import LogDelivery
from localcloud.functions.worker import Worker, WorkerDied
from localcloud.specs import FunctionSpec

# An idle worker exits at EOF on its request pipe at once; this only bounds a stuck one.
RETIRE_GRACE_S = 0.5


class PoolClosed(RuntimeError):
    pass


class WorkerPool:
    def __init__(
        self,
        spec: FunctionSpec,
        env: dict[str, str],
        size: int,
        log_delivery: LogDelivery | None = None,
        debug_address: tuple[str, int] | None = None,
    ) -> None:
        self.spec = spec
        self.size = max(1, size)
        self._env = env
        self._log_delivery = log_delivery
        self._debug_address = debug_address
        # Bumped by recycle(); a worker born under an older generation is not reused.
        self._generation = 0
        self._born: dict[Worker, int] = {}
        self._idle: list[Worker] = []
        self._all: set[Worker] = set()
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
            workers = [w for w in self._all if not (busy_only and w in self._idle)]
        return {w.pid for w in workers if w.alive}

    def _acquire(self) -> Worker:
        with self._changed:
            while True:
                if self._closed:
                    raise PoolClosed(self.spec.function_name)
                if self._idle:
                    return self._idle.pop()  # the warmest one
                if len(self._all) + self._starting < self.size:
                    self._starting += 1
                    spec, env, generation = self.spec, self._env, self._generation
                    break
                self._changed.wait()
        try:
            worker = Worker(spec, env, next(self._numbers), self._log_delivery, self._debug_address)
        except BaseException:
            with self._changed:
                self._starting -= 1
                self._changed.notify()
            raise
        with self._changed:
            self._starting -= 1
            if not self._closed:
                self._all.add(worker)
                self._born[worker] = generation
                return worker
        worker.kill()
        raise PoolClosed(self.spec.function_name)

    def _release(self, worker: Worker) -> None:
        with self._changed:
            current = self._born.get(worker) == self._generation
            if worker.alive and current and not self._closed:
                self._idle.append(worker)
                self._changed.notify()
                return
            self._all.discard(worker)
            self._born.pop(worker, None)
            self._changed.notify()
        served = worker.ready
        if worker.alive and not current:
            worker.stop(grace_s=RETIRE_GRACE_S)  # done with its invoke, on the old code
        else:
            worker.kill()
        if served:  # one that could not even start (the port taken) is not restarted in a loop
            self.keep_listening()

    def keep_listening(self) -> None:
        """Under a debugger, start a worker in the background if there is none."""
        if self._debug_address is None:
            return
        with self._changed:
            if self._closed or self._all or self._starting:
                return
        threading.Thread(target=self._listen, name=f"{self.spec.function_name}-debug").start()

    def _listen(self) -> None:
        with contextlib.suppress(PoolClosed, WorkerDied):
            self.prewarm()

    def recycle(self, spec: FunctionSpec | None = None, env: dict[str, str] | None = None) -> int:
        """Retire the current workers (see the module's doc), optionally switching to a new spec
        (reinstalled dependencies, a new configuration) and environment. Returns how many idle
        workers are being stopped."""
        with self._changed:
            self._generation += 1
            if spec is not None:
                self.spec = spec
            if env is not None:
                self._env = env
            retired, self._idle = self._idle, []
            for worker in retired:
                self._all.discard(worker)
                self._born.pop(worker, None)
            self._changed.notify_all()
        # Stopped aside: the caller (a file watcher) must not wait for processes to exit.
        threading.Thread(
            target=self._retire, args=(retired,), name=f"{self.spec.function_name}-retire"
        ).start()
        return len(retired)

    def _retire(self, workers: list[Worker]) -> None:
        for worker in workers:
            worker.request_stop()
        for worker in workers:
            worker.stop(grace_s=RETIRE_GRACE_S)
        self.keep_listening()

    def reconfigure(self, spec: FunctionSpec, env: dict[str, str]) -> None:
        """Later invokes run ``spec`` with ``env`` in new workers; the current ones retire."""
        self.recycle(spec, env)

    @contextmanager
    def worker(self) -> Iterator[Worker]:
        """A worker for exactly one invoke."""
        worker = self._acquire()
        try:
            yield worker
        finally:
            self._release(worker)

    def prewarm(self) -> str | None:
        """Start one worker and wait for its handler import (init) to finish; its init error."""
        with self.worker() as worker:
            worker.wait_ready()
            return worker.init_error

    def close(self) -> None:
        with self._changed:
            self._closed = True
            workers = list(self._all)
            self._all.clear()
            self._idle.clear()
            self._born.clear()
            self._changed.notify_all()
        # EOF to all first, so they exit in parallel, then reap (or kill) each.
        for worker in workers:
            worker.request_stop()
        for worker in workers:
            worker.stop(grace_s=0.5)
