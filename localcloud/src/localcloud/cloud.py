"""LocalCloud: start the moto server, deploy the template, run the functions, pollers and API.

Order matters: the server must answer before the deploy; the invoker needs the deployed
functions; pollers and the API front need the invoker. ``stop`` undoes it in reverse, so no
worker process or poller thread outlives the cloud.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localcloud.config import (
    DEFAULT_CONFIG_ENV,
    DEFAULT_HOST,
    LOCAL_CREDENTIALS,
    Endpoints,
)
from localcloud.deploy.deployer import deploy_stack
from localcloud.faults import FaultRegistry, FaultRule
from localcloud.functions.invoker import LocalInvoker
from localcloud.functions.timeouts import with_function_timeouts
from localcloud.server import LocalCloudServer
from localcloud.specs import DeployedStack

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CloudOptions:
    template: Path
    stack_name: str
    region: str
    config_env: str = DEFAULT_CONFIG_ENV
    parameter_overrides: tuple[str, ...] = ()
    host: str = DEFAULT_HOST
    port: int = 0  # 0: any free port
    api_port: int = 0
    with_esm: bool = True
    with_api: bool = True
    # Start one worker per function in the background once deployed, so the first event does
    # not pay the handler's import; readiness does not wait for it.
    prewarm: bool = True
    # Fault injection into the functions' AWS calls (localcloud.faults); more can be added at
    # runtime through the server's /_localcloud/faults endpoint.
    faults: tuple[FaultRule, ...] = ()
    fault_seed: int | None = None
    # Web origins allowed to call the moto port from a browser (localcloud.browser_guard).
    cors_allow_origins: tuple[str, ...] = ()
    # Timeout overrides by logical id or function name, to exercise timeouts in seconds.
    function_timeouts: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


def _since(started: float) -> float:
    return time.perf_counter() - started


class LocalCloud:
    def __init__(self, options: CloudOptions) -> None:
        self.options = options
        faults = FaultRegistry(seed=options.fault_seed)
        for rule in options.faults:
            faults.add(rule)
        self.server = LocalCloudServer(
            options.host, options.port, faults, cors_allow_origins=options.cors_allow_origins
        )
        self.stack: DeployedStack | None = None
        self.invoker: LocalInvoker | None = None
        self.api_front_url: str | None = None
        self._stoppables: list[Any] = []

    @property
    def endpoint_url(self) -> str:
        return self.server.url

    @property
    def faults(self) -> FaultRegistry:
        return self.server.faults

    @property
    def endpoints(self) -> Endpoints:
        return Endpoints(
            endpoint_url=self.endpoint_url,
            api_front_url=self.api_front_url,
            region=self.options.region,
            stack_name=self.options.stack_name,
        )

    def start(self) -> DeployedStack:
        options, timings = self.options, self.options.timings
        started = time.perf_counter()
        self.server.start()
        timings["server_s"] = time.perf_counter() - started
        try:
            self.stack = with_function_timeouts(
                deploy_stack(
                    options.template,
                    options.stack_name,
                    endpoint_url=self.endpoint_url,
                    region=options.region,
                    config_env=options.config_env,
                    parameter_overrides=options.parameter_overrides,
                ),
                options.function_timeouts,
            )
            timings["deploy_s"] = time.perf_counter() - started - timings["server_s"]
            self.invoker = LocalInvoker(self.stack.functions, self.endpoint_url, options.region)
            self.server.set_invoker(self.invoker)
            if options.with_esm:
                self._start_esm(self.stack, self.invoker)
            if options.with_api:
                self._start_api(self.stack, self.invoker)
            if options.prewarm:
                self.invoker.prewarm()
        except BaseException:
            self.stop()
            raise
        timings["ready_s"] = time.perf_counter() - started
        return self.stack

    def _start_esm(self, stack: DeployedStack, invoker: LocalInvoker) -> None:
        try:
            from localcloud.esm.supervisor import EventSourceMappingSupervisor  # noqa: PLC0415
        except ImportError:
            log.warning("localcloud.esm is not available: event source mappings are not polled")
            return
        from localcloud.esm.mappings import EventSourceMappings  # noqa: PLC0415

        # The supervisor runs what the Lambda API's mappings say (localcloud.esm.mappings).
        supervisor = EventSourceMappingSupervisor(
            [], invoker, self.endpoint_url, self.options.region
        )
        mappings = EventSourceMappings(supervisor, stack.stack_name)
        for resource in stack.event_source_mapping_resources:
            mappings.add_stack_mapping(resource)
        self.server.set_event_source_mappings(
            mappings, lambda name: invoker.resolve(name).function_name, self.options.region
        )
        self.server.set_poller_health(supervisor.health)
        self._stoppables.append(supervisor)

    def _start_api(self, stack: DeployedStack, invoker: LocalInvoker) -> None:
        try:
            from localcloud.apigw.front import ApiFront  # noqa: PLC0415
        except ImportError:
            log.warning("localcloud.apigw is not available: no API front")
            return
        front = ApiFront(
            stack.rest_apis,
            invoker,
            self.endpoint_url,
            self.options.region,
            LOCAL_CREDENTIALS,
            host=self.options.host,
            port=self.options.api_port,
        )
        front.start()
        self.api_front_url = str(front.url)
        self._stoppables.append(front)

    def stop(self) -> None:
        """Pollers and API first (they feed the workers), then the workers, then moto."""
        started = time.perf_counter()
        while self._stoppables:
            component = self._stoppables.pop()
            try:
                component.stop()
            except Exception:
                log.exception("stopping %s failed", type(component).__name__)
            log.info("stopped %s at +%.2f s", type(component).__name__, _since(started))
        self.server.set_invoker(None)
        self.server.set_event_source_mappings(None)
        self.server.set_poller_health(None)
        if self.invoker is not None:
            self.invoker.close()
            self.invoker = None
            log.info("stopped the workers at +%.2f s", _since(started))
        self.server.stop()
        log.info("stopped the moto server at +%.2f s", _since(started))

    def __enter__(self) -> LocalCloud:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
