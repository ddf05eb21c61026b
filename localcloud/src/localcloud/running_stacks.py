"""The stacks a running local cloud runs, and what a deploy, an update or a delete changes in it.

``localcloud up`` deploys its stack; CloudFormation requests (change sets, ``CreateStack``,
``UpdateStack``, ``DeleteStack``: what ``sam deploy`` and ``sam sync`` send) deploy, update and
delete more (``localcloud.stack_deployments``). Every stack's functions run in the one invoker,
its event source mappings in the one supervisor (through ``EventSourceMappings``), its REST APIs
on the one API front. ``apply`` moves the running parts from a stack's previous deployment to its
new one: a function added gets a pool, a changed one (new code, new configuration) runs its new
spec from the next invoke on (an invoke in flight finishes on the old), a removed one stops;
mappings follow ``EventSourceMappings.replace_stack_mappings``; the front serves every stack's
APIs; the stack's layer versions become known by ARN (``LayerContents``). ``watch`` callbacks
hear of each stack's new deployment once it runs (``LocalCloud.stack`` follows ``up``'s own).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol

from localcloud.deploy.prepared import Deployment
from localcloud.esm.mappings import EventSourceMappings
from localcloud.functions.invoker import LocalInvoker
from localcloud.functions.layer_contents import LayerContents
from localcloud.moto_internals.cloudformation_fixups import LAYER_VERSION_TYPE
from localcloud.specs import DeployedStack, RestApiSpec

log = logging.getLogger(__name__)


class ApiServer(Protocol):
    """What serves the REST APIs: ``localcloud.apigw.front.ApiFront``."""

    def serve(self, apis: list[RestApiSpec]) -> None: ...


class RunningStacks:
    def __init__(
        self,
        invoker: LocalInvoker,
        layers: LayerContents,
        *,
        mappings: EventSourceMappings | None = None,
        front: ApiServer | None = None,
        adjust: Callable[[DeployedStack], DeployedStack] = lambda stack: stack,
        prewarm: bool = False,
    ) -> None:
        self._invoker = invoker
        self._layers = layers
        self._mappings = mappings
        self._front = front
        # What the cloud's options change in every stack (--function-timeout).
        self._adjust = adjust
        self._prewarm = prewarm
        self._lock = threading.Lock()
        self._deployments: dict[str, Deployment] = {}
        self._watchers: list[Callable[[str, Deployment | None], None]] = []

    def watch(self, callback: Callable[[str, Deployment | None], None]) -> None:
        """``callback(stack_name, deployment)`` after each ``apply`` (None: deleted)."""
        self._watchers.append(callback)

    def started(self, deployment: Deployment) -> None:
        """The stack ``up`` deployed (or restored), whose parts the cloud started itself."""
        with self._lock:
            self._deployments[deployment.stack.stack_name] = deployment
            self._learn_layers(deployment)

    def get(self, stack_name: str) -> Deployment | None:
        with self._lock:
            return self._deployments.get(stack_name)

    def apply(self, stack_name: str, deployment: Deployment | None) -> None:
        """The stack now runs as ``deployment`` (None: it was deleted)."""
        with self._lock:
            previous = self._deployments.pop(stack_name, None)
            if deployment is not None:
                self._deployments[stack_name] = deployment
                self._learn_layers(deployment)
            before = self._adjust(previous.stack).functions if previous else {}
            after = self._adjust(deployment.stack).functions if deployment else {}
            for name in before.keys() - after.keys():
                self._invoker.remove(name)
            changed = [name for name, spec in after.items() if before.get(name) != spec]
            for name in changed:
                self._invoker.deploy(after[name])
            if self._mappings is not None:
                resources = deployment.stack.event_source_mapping_resources if deployment else ()
                self._mappings.replace_stack_mappings(stack_name, resources)
            if self._front is not None:
                self._front.serve(
                    [api for d in self._deployments.values() for api in d.stack.rest_apis]
                )
        log.info(
            "%s: %d functions now (%s changed), %d removed",
            stack_name,
            len(after),
            ", ".join(after[name].logical_id for name in changed) or "none",
            len(before.keys() - after.keys()),
        )
        for watcher in self._watchers:
            try:
                watcher(stack_name, deployment)
            except Exception:  # the deploy happened: a watcher's failure must not undo it
                log.exception("a watcher of %s failed", stack_name)
        if self._prewarm and changed:
            threading.Thread(
                target=self._warm, args=(changed,), name=f"prewarm-{stack_name}", daemon=True
            ).start()

    def _learn_layers(self, deployment: Deployment) -> None:
        for logical_id, paths in deployment.prepared.code.layers.items():
            rtype, arn = deployment.physical_ids.get(logical_id, ("", ""))
            if rtype == LAYER_VERSION_TYPE:
                self._layers.add(arn, paths)

    def _warm(self, names: list[str]) -> None:
        for name in names:
            try:
                self._invoker.prewarm_function(name)
            except Exception:  # a removed function or a broken handler shows on its invoke
                log.debug("prewarm of %s failed", name, exc_info=True)
