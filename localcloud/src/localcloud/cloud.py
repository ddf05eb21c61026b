"""LocalCloud: start the moto server, deploy the template, run the functions, pollers and API.

Order matters: the server must answer before the deploy; the invoker needs the deployed
functions (and the log delivery, which sends their output to the server's CloudWatch); pollers
and the API front need the invoker. Once all run, CloudFormation's deploy operations (what
``sam deploy`` and ``sam sync`` send) deploy further stacks, or new versions of this one, into
them (``localcloud.running_stacks``, ``localcloud.stack_deployments``). ``stop`` undoes it in
reverse, so no worker process or poller thread outlives the cloud.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localcloud.config import (
    DEFAULT_CONFIG_ENV,
    DEFAULT_HOST,
    LOCAL_CREDENTIALS,
    Endpoints,
    state_dir,
)
from localcloud.deploy.dependencies import dependency_cache, install_dependencies
from localcloud.deploy.deployer import deploy_template_file
from localcloud.deploy.prepared import Deployment
from localcloud.esm.settings import PollerSettings
from localcloud.faults import FaultRegistry, FaultRule
from localcloud.functions.invoker import LocalInvoker
from localcloud.functions.log_delivery import LogDelivery
from localcloud.functions.reload import CodeReloader
from localcloud.functions.timeouts import with_function_timeouts
from localcloud.persistence.keeper import DEFAULT_SAVE_INTERVAL_S, StateKeeper
from localcloud.persistence.saved_state import SavedCloud
from localcloud.running_stacks import RunningStacks
from localcloud.server import LocalCloudServer
from localcloud.specs import DeployedStack, SavedEventSourceMapping
from localcloud.stack_deployments.service import StackDeployments

log = logging.getLogger(__name__)

PERSIST_REFUSAL = (
    "this local cloud runs with --persist, which saves and restores only the stack `localcloud "
    "up` deployed, as it deployed it: a stack deployed, updated or deleted through CloudFormation "
    "(sam deploy, sam sync, sam delete) would not come back as it is. Nothing was changed; start "
    "the local cloud without --persist to deploy with SAM CLI"
)


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
    # The proxy mode's CONNECT proxy (localcloud.proxy) on its own port; its CA is kept in
    # ``state_dir`` (default: ``.localcloud/`` of the working directory).
    with_proxy: bool = True
    proxy_port: int = 0
    state_dir: Path | None = None
    # Recycle a function's workers when its code or layers change (localcloud.functions.reload).
    hot_reload: bool = False
    # One function's worker under debugpy, listening on host:debug_port (pool of one).
    debug_function: str | None = None
    debug_port: int | None = None
    # How the pollers wait (wake-ups on writes, safety poll); benchmarks compare settings.
    poller_settings: PollerSettings = field(default_factory=PollerSettings)
    timings: dict[str, float] = field(default_factory=dict)
    # --persist: the folder the cloud is saved in and restored from (localcloud.persistence);
    # None keeps everything in memory, gone on stop.
    persist_dir: Path | None = None
    reset_saved_state: bool = False
    save_interval_s: float = DEFAULT_SAVE_INTERVAL_S


def _since(started: float) -> float:
    return time.perf_counter() - started


class LocalCloud:
    def __init__(self, options: CloudOptions) -> None:
        self.options = options
        faults = FaultRegistry(seed=options.fault_seed)
        for rule in options.faults:
            faults.add(rule)
        self.server = LocalCloudServer(
            options.host,
            options.port,
            faults,
            cors_allow_origins=options.cors_allow_origins,
            region=options.region,
        )
        self.stack: DeployedStack | None = None
        self.invoker: LocalInvoker | None = None
        self.log_delivery: LogDelivery | None = None
        self.api_front_url: str | None = None
        self.proxy_url: str | None = None
        self.reloader: CodeReloader | None = None
        self.stacks: RunningStacks | None = None
        self._mappings: Any = None  # localcloud.esm.mappings.EventSourceMappings, once started
        self._front: Any = None  # localcloud.apigw.front.ApiFront, once serving
        self._stoppables: list[Any] = []
        self._stack_watchers: list[Callable[[DeployedStack], None]] = []
        self.keeper = StateKeeper.of(options)
        self.restored = False  # from a saved cloud rather than deployed
        # The stream pollers' checkpoints, once they run, and the mappings as the Lambda API
        # left them (what a save records).
        self._checkpoints: Callable[[], dict[str, dict[str, str]]] = dict
        self._saved_mappings: Callable[[], tuple[SavedEventSourceMapping, ...]] = tuple

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
            proxy_url=self.proxy_url,
            proxy_ca_dir=str(self._state_dir) if self.proxy_url else None,
        )

    @property
    def _state_dir(self) -> Path:
        return self.options.state_dir or state_dir()

    def start(self) -> DeployedStack:
        options, timings = self.options, self.options.timings
        started = time.perf_counter()
        # Before anything starts: a bad file stops here, with nothing to undo.
        saved = self.keeper.load() if self.keeper is not None else None
        self.restored = saved is not None
        timings["restore_s"] = time.perf_counter() - started
        self.server.start()
        timings["server_s"] = time.perf_counter() - started - timings["restore_s"]
        try:
            deployment: Deployment | None = None
            if saved is not None:
                deployed = saved.stack
            else:
                deployment = self._deploy()
                deployed = deployment.stack
            self.stack = with_function_timeouts(deployed, options.function_timeouts)
            timings["deploy_s"] = (
                time.perf_counter() - started - timings["server_s"] - timings["restore_s"]
            )
            self.log_delivery = LogDelivery(self.endpoint_url, options.region).start()
            self.invoker = LocalInvoker(
                self.stack.functions,
                self.endpoint_url,
                options.region,
                log_delivery=self.log_delivery,
                debug_function=options.debug_function,
                debug_address=(
                    (options.host, options.debug_port) if options.debug_port is not None else None
                ),
            )
            self.server.set_invoker(self.invoker)
            self._start_esm(self.stack, self.invoker, saved)
            if options.with_api:
                self._start_api(self.stack, self.invoker)
            if options.with_proxy:
                self._start_proxy()
            if options.hot_reload:
                self._start_reloader(self.invoker)
            if options.prewarm:
                self.invoker.prewarm()
            self._accept_stack_deploys(self.invoker, deployment)
            if self.keeper is not None:
                self.keeper.start(
                    deployed,
                    self._checkpoints,
                    self._saved_mappings,
                    port=self.server.port,
                    api_front_url=self.api_front_url,
                )
        except BaseException:
            self.stop()
            raise
        timings["ready_s"] = time.perf_counter() - started
        return self.stack

    def _deploy(self) -> Deployment:
        options = self.options
        return deploy_template_file(
            options.template,
            options.stack_name,
            endpoint_url=self.endpoint_url,
            region=options.region,
            config_env=options.config_env,
            parameter_overrides=options.parameter_overrides,
        )

    def _start_esm(
        self, stack: DeployedStack, invoker: LocalInvoker, saved: SavedCloud | None
    ) -> None:
        """The Lambda API's mappings (localcloud.esm.mappings): a saved cloud's as the API left
        them, else the stack's; polled by the supervisor, unless the cloud runs without
        pollers (``with_esm=False``), where the API still answers for them."""
        from localcloud.esm.mappings import EventSourceMappings, NoPollers, Runner  # noqa: PLC0415
        from localcloud.esm.supervisor import EventSourceMappingSupervisor  # noqa: PLC0415

        runner: Runner = NoPollers()
        if self.options.with_esm:
            supervisor = EventSourceMappingSupervisor(
                [],
                invoker,
                self.endpoint_url,
                self.options.region,
                self.options.poller_settings,
                wakeups=self.server.wakeups,
                resume_from=saved.checkpoints if saved is not None else {},
            )
            self._checkpoints = supervisor.checkpoints
            self.server.set_poller_health(supervisor.health)
            self._stoppables.append(supervisor)
            runner = supervisor
        mappings = EventSourceMappings(runner, stack.stack_name, polling=self.options.with_esm)
        if saved is not None and saved.mappings is not None:
            for kept in saved.mappings:
                mappings.restore(kept)
            mappings.declare_stack_resources(stack.stack_name, stack.event_source_mapping_resources)
        else:
            for resource in stack.event_source_mapping_resources:
                mappings.add_stack_mapping(resource)
        self._saved_mappings = mappings.saved
        self._mappings = mappings
        self.server.set_event_source_mappings(
            mappings, lambda name: invoker.resolve(name).function_name, self.options.region
        )

    def _start_reloader(self, invoker: LocalInvoker) -> None:
        cache = dependency_cache(self.options.template)
        reloader = CodeReloader(
            invoker,
            install=lambda code_dir: install_dependencies(code_dir, cache),
            prewarm=self.options.prewarm,
        )
        reloader.start()
        self.reloader = reloader
        self._stoppables.append(reloader)

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
        self._front = front
        self.api_front_url = str(front.url)
        self._stoppables.append(front)

    def _start_proxy(self) -> None:
        from localcloud.proxy.start import start_proxy  # noqa: PLC0415 - cryptography is slow

        proxy = start_proxy(
            self._state_dir,
            moto_url=self.endpoint_url,
            api_front_url=self.api_front_url,
            host=self.options.host,
            port=self.options.proxy_port,
        )
        self.proxy_url = proxy.url
        self._stoppables.append(proxy)

    def _accept_stack_deploys(self, invoker: LocalInvoker, deployment: Deployment | None) -> None:
        """From now on CloudFormation's deploys run through the pipeline into this cloud."""
        options = self.options
        stacks = RunningStacks(
            invoker,
            self.server.layers,
            mappings=self._mappings,
            front=self._front,
            adjust=lambda stack: with_function_timeouts(stack, options.function_timeouts),
            prewarm=options.prewarm,
        )
        if deployment is not None:  # a restored stack was not deployed here: nothing to update
            stacks.started(deployment)
        stacks.watch(self._follow)
        self.stacks = stacks
        self.server.stack_requests.deployments = StackDeployments(
            stacks,
            endpoint_url=self.endpoint_url,
            region=options.region,
            code_cache=self.server.code_cache,
            refusal=PERSIST_REFUSAL if self.keeper is not None else None,
        )

    def on_stack_change(self, callback: Callable[[DeployedStack], None]) -> None:
        """``callback(stack)`` once a deploy into the running cloud (sam deploy, sam sync)
        changed ``up``'s own stack: what ``stack`` now is."""
        self._stack_watchers.append(callback)

    def _follow(self, stack_name: str, deployment: Deployment | None) -> None:
        options = self.options
        if stack_name != options.stack_name:
            return
        if deployment is None:  # deleted: the cloud runs on, with nothing of that stack
            deployed = DeployedStack(stack_name, options.region, {}, {}, [], [])
        else:
            deployed = deployment.stack
        self.stack = with_function_timeouts(deployed, options.function_timeouts)
        for callback in self._stack_watchers:
            callback(self.stack)

    def stop(self) -> None:
        """Pollers and API first (they feed the workers), then the workers, then moto."""
        started = time.perf_counter()
        self.server.stack_requests.deployments = None
        if self.keeper is not None:
            self.keeper.stop()
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
        if self.log_delivery is not None:  # after the workers' last lines, before moto goes
            self.log_delivery.stop()
            self.log_delivery = None
            log.info("delivered the functions' logs at +%.2f s", _since(started))
        self._save_final()
        self.server.stop()
        log.info("stopped the moto server at +%.2f s", _since(started))

    def _save_final(self) -> None:
        """After the pollers and workers stopped: their last checkpoints and writes are in."""
        if self.keeper is None:
            return
        try:
            if self.keeper.save(force=True):
                log.info("saved the local cloud to %s", self.keeper.path)
        except Exception:
            log.exception("saving the local cloud to %s failed", self.keeper.path)

    def __enter__(self) -> LocalCloud:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
