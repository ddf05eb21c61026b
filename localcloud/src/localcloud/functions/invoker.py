"""LocalInvoker: the local cloud's Lambda service, running functions in worker subprocesses.

Implements ``localcloud.specs.Invoker`` (synchronous RequestResponse invokes) for the ESM
pollers, the API front, the server's Invoke route and the CLI. Functions are found by physical
name, ARN (qualifier ignored) or logical id. An event over Lambda's 6 MB synchronous limit raises
``RequestTooLarge`` before any worker sees it (``localcloud.functions.limits``). With a
``LogDelivery``, every worker's output also reaches the function's CloudWatch log group
(``localcloud.functions.log_delivery``); the caller starts and stops it.

One function may run under a debugger (``debug_function``): its pool holds a single worker, which
listens for a debugpy client on ``debug_address``, so every invoke reaches the attached session.
``update_configuration`` gives later invokes what an UpdateFunctionConfiguration set in moto
(timeout, memory, environment, handler). ``deploy`` and ``remove`` add, replace and take away
functions while the cloud runs (a stack deployed, updated or deleted through CloudFormation,
``localcloud.running_stacks``): a replaced function's next invoke starts a worker with the new
spec, an invoke in flight finishes on the old one.
"""

from __future__ import annotations

import dataclasses
import logging
import socket
import threading
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from localcloud.config import ACCOUNT_ID, DEFAULT_POOL_SIZE
from localcloud.functions.configuration import configured
from localcloud.functions.environment import worker_environment
from localcloud.functions.limits import check_request_size, payload_size
from localcloud.functions.log_delivery import LogDelivery
from localcloud.functions.pool import WorkerPool
from localcloud.functions.worker import WorkerResult
from localcloud.specs import FunctionSpec, InvokeResult

log = logging.getLogger(__name__)

_FUNCTION_ERRORS: dict[str, Any] = {
    "ok": None,
    "error": "Unhandled",
    "timeout": "Timeout",
    "crash": "Crash",
    "oom": "Crash",
}


class FunctionNotFound(LookupError):
    """No deployed function has that name, ARN or logical id."""


def check_port_free(address: tuple[str, int]) -> None:
    """Fail at start, not at every worker's init, when the debug port is taken."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as a listener would
        try:
            probe.bind(address)
        except OSError as error:
            message = f"--debug-port {address[1]} on {address[0]}: {error.strerror}"
            raise OSError(error.errno, f"{message}; choose another with --debug-port") from None


class LocalInvoker:
    def __init__(
        self,
        functions: Mapping[str, FunctionSpec],
        endpoint_url: str,
        region: str,
        default_pool_size: int = DEFAULT_POOL_SIZE,
        log_delivery: LogDelivery | None = None,
        *,
        debug_function: str | None = None,
        debug_address: tuple[str, int] | None = None,
    ) -> None:
        self.region = region
        self._endpoint_url = endpoint_url
        self._default_pool_size = default_pool_size
        self._log_delivery = log_delivery
        self._specs = dict(functions)
        self._by_logical_id = {spec.logical_id: spec for spec in functions.values()}
        # Adding or removing a function swaps these dicts' entries under it.
        self._changing = threading.Lock()
        debugged = self._debugged(debug_function) if debug_address else None
        if debug_address:
            check_port_free(debug_address)
        self._pools = {
            name: WorkerPool(
                spec,
                worker_environment(spec, endpoint_url, region),
                1 if name == debugged else spec.reserved_concurrency or default_pool_size,
                log_delivery,
                debug_address if name == debugged else None,
            )
            for name, spec in functions.items()
        }
        if debugged:
            self._pools[debugged].keep_listening()

    def _debugged(self, name: str | None) -> str:
        """The debugged function's physical name, or a clear error naming the functions."""
        try:
            return self.resolve(name or "").function_name
        except FunctionNotFound:
            known = sorted(spec.logical_id for spec in self._specs.values())
            raise FunctionNotFound(
                f"--debug-function: no function {name!r} (functions: {', '.join(known)})"
            ) from None

    @property
    def functions(self) -> dict[str, FunctionSpec]:
        return dict(self._specs)

    def resolve(self, name_or_arn: str) -> FunctionSpec:
        """Physical name, ``arn:aws:lambda:...:function:NAME[:QUALIFIER]`` or logical id."""
        name = name_or_arn
        if name.startswith("arn:"):
            name = name.split(":function:", 1)[-1].split(":", 1)[0]
        spec = self._specs.get(name) or self._by_logical_id.get(name)
        if spec is None:
            raise FunctionNotFound(name_or_arn)
        return spec

    def update_configuration(
        self,
        name_or_arn: str,
        config: Mapping[str, Any],
        layer_dirs: tuple[Path, ...] | None = None,
    ) -> FunctionSpec:
        """Later invokes of the function run with ``config`` (a ``FunctionConfiguration``), and
        with ``layer_dirs`` on their path if its layers changed."""
        spec = configured(self.resolve(name_or_arn), config)
        if layer_dirs is not None:
            spec = dataclasses.replace(spec, layer_dirs=layer_dirs)
        self._index(spec)
        self._pools[spec.function_name].reconfigure(
            spec, worker_environment(spec, self._endpoint_url, self.region)
        )
        log.info(
            "%s reconfigured: timeout %d s, %d MB", spec.logical_id, spec.timeout_s, spec.memory_mb
        )
        return spec

    def _index(self, spec: FunctionSpec) -> None:
        """By name, and by logical id unless another stack's function has that id first."""
        self._specs[spec.function_name] = spec
        holder = self._by_logical_id.get(spec.logical_id)
        if holder is None or holder.function_name == spec.function_name:
            self._by_logical_id[spec.logical_id] = spec

    def deploy(self, spec: FunctionSpec) -> None:
        """Run ``spec`` from the next invoke on: a new function, or a new version of one."""
        with self._changing:
            pool = self._pools.get(spec.function_name)
            self._index(spec)
            env = worker_environment(spec, self._endpoint_url, self.region)
            if pool is not None:
                pool.reconfigure(spec, env)
                return
            size = spec.reserved_concurrency or self._default_pool_size
            self._pools[spec.function_name] = WorkerPool(spec, env, size, self._log_delivery)

    def remove(self, function_name: str) -> None:
        """The function is gone: its invokes fail from now on, its workers stop."""
        with self._changing:
            spec = self._specs.pop(function_name, None)
            holder = self._by_logical_id.get(spec.logical_id) if spec else None
            if spec is not None and holder is not None and holder.function_name == function_name:
                del self._by_logical_id[spec.logical_id]
            pool = self._pools.pop(function_name, None)
        if pool is not None:
            pool.close()

    def worker_pids(self, name_or_arn: str, busy_only: bool = False) -> set[int]:
        """Process ids of a function's workers: for tools and tests that kill one on purpose."""
        return self._pools[self.resolve(name_or_arn).function_name].worker_pids(busy_only)

    def recycle(self, function_name: str, spec: FunctionSpec | None = None) -> None:
        """Retire the function's workers (hot reload): the next invoke imports its code afresh,
        with ``spec``'s dependency folders if given; an invoke in flight finishes first."""
        name = self.resolve(function_name).function_name
        if spec is not None:
            self._index(spec)
        self._pools[name].recycle(spec)

    def prewarm_function(self, function_name: str) -> str | None:
        """Start one worker of the function and wait for its init: the handler's import error,
        if any (raises on a closed pool)."""
        return self._pools[self.resolve(function_name).function_name].prewarm()

    def function_arn(self, spec: FunctionSpec) -> str:
        return f"arn:aws:lambda:{self.region}:{ACCOUNT_ID}:function:{spec.function_name}"

    def invoke(self, function_name: str, event: Any) -> InvokeResult:
        spec = self.resolve(function_name)
        check_request_size(payload_size(event), "RequestResponse")
        request_id = str(uuid.uuid4())
        with self._pools[spec.function_name].worker() as worker:
            result: WorkerResult = worker.invoke(request_id, event, self.function_arn(spec))
        return InvokeResult(
            payload=result.payload,
            function_error=_FUNCTION_ERRORS[result.outcome],
            duration_ms=result.duration_ms,
            log_tail=result.log,
        )

    def prewarm(self, wait: bool = False) -> None:
        """Start one worker per function, one after another, in a background thread.

        Sequential on purpose: each worker's init imports boto3 and Powertools (~1 s of CPU);
        doing all at once would starve the rest of the start-up on a small machine.
        """
        thread = threading.Thread(target=self._prewarm_all, name="prewarm", daemon=True)
        thread.start()
        if wait:
            thread.join()

    def _prewarm_all(self) -> None:
        for pool in list(self._pools.values()):
            try:
                pool.prewarm()
            except Exception:  # a closed pool or a broken handler shows on the first invoke
                log.debug("prewarm of %s failed", pool.spec.function_name, exc_info=True)

    def close(self) -> None:
        for pool in self._pools.values():
            pool.close()

    def __enter__(self) -> LocalInvoker:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
