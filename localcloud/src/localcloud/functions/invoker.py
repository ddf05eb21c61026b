"""LocalInvoker: the local cloud's Lambda service, running functions in worker subprocesses.

Implements ``localcloud.specs.Invoker`` (synchronous RequestResponse invokes) for the ESM
pollers, the API front, the server's Invoke route and the CLI. Functions are found by physical
name, ARN (qualifier ignored) or logical id. An event over Lambda's 6 MB synchronous limit raises
``RequestTooLarge`` before any worker sees it (``localcloud.functions.limits``).
``update_configuration`` gives later invokes what an UpdateFunctionConfiguration set in moto
(timeout, memory, environment, handler).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Mapping
from typing import Any

from localcloud.config import ACCOUNT_ID, DEFAULT_POOL_SIZE
from localcloud.functions.configuration import configured
from localcloud.functions.environment import worker_environment
from localcloud.functions.limits import check_request_size, payload_size
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


class LocalInvoker:
    def __init__(
        self,
        functions: Mapping[str, FunctionSpec],
        endpoint_url: str,
        region: str,
        default_pool_size: int = DEFAULT_POOL_SIZE,
    ) -> None:
        self.region = region
        self._endpoint_url = endpoint_url
        self._specs = dict(functions)
        self._by_logical_id = {spec.logical_id: spec for spec in functions.values()}
        self._pools = {
            name: WorkerPool(
                spec,
                worker_environment(spec, endpoint_url, region),
                spec.reserved_concurrency or default_pool_size,
            )
            for name, spec in functions.items()
        }

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

    def update_configuration(self, name_or_arn: str, config: Mapping[str, Any]) -> FunctionSpec:
        """Later invokes of the function run with ``config`` (a ``FunctionConfiguration``)."""
        spec = configured(self.resolve(name_or_arn), config)
        self._specs[spec.function_name] = spec
        self._by_logical_id[spec.logical_id] = spec
        self._pools[spec.function_name].reconfigure(
            spec, worker_environment(spec, self._endpoint_url, self.region)
        )
        log.info(
            "%s reconfigured: timeout %d s, %d MB", spec.logical_id, spec.timeout_s, spec.memory_mb
        )
        return spec

    def worker_pids(self, name_or_arn: str, busy_only: bool = False) -> set[int]:
        """Process ids of a function's workers: for tools and tests that kill one on purpose."""
        return self._pools[self.resolve(name_or_arn).function_name].worker_pids(busy_only)

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
