"""The event source mappings the Lambda API sees: UUIDs, states, and the pollers they drive.

Each mapping keeps its API-shaped properties (what CreateEventSourceMapping took, or the
template's resolved properties) and the spec built from them (``deploy.esm_specs``). State
changes run as Lambda reports them: a create answers ``Creating`` and becomes ``Enabled`` once
its poller runs (``Disabled`` if created disabled); an update answers ``Updating`` /
``Disabling`` / ``Enabling`` and settles once the poller is restarted with the new settings or
stopped; a delete answers ``Deleting`` and the mapping is gone once its poller has stopped. A
mapping in transition refuses further changes (``ResourceInUseException``), as Lambda does.
``StateTransitionReason`` is Lambda's for a user's change: ``User action`` for stream mappings,
``USER_INITIATED`` for SQS ones. Stream mappings report ``LastProcessingResult``
(``localcloud.esm.processing_result``).
The pollers are the supervisor's; stream checkpoints survive a pause, so re-enabling resumes
after the last processed record. ``saved()`` and ``restore()`` carry the mappings, as the API
left them, across ``up --persist`` restarts. In a cloud started without pollers
(``polling=False``) the API works the same, but every mapping settles ``Disabled`` with a
``StateTransitionReason`` that says why.

Each stack's own mappings (its template's) carry the stack's name; ``replace_stack_mappings``
applies what a stack update or delete does to them: a mapping whose template properties changed
is updated as ``UpdateEventSourceMapping`` would (its checkpoint kept), one no longer in the
template is deleted, a new one created. CloudFormation's view of them is ``stack_resources``:
what the stack last deployed, which a mapping deleted through the Lambda API stays in (on AWS the
stack resource stays listed, drifted, until the stack changes).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass, replace
from typing import Any, Protocol

from localcloud.deploy.esm_specs import esm_spec
from localcloud.esm.processing_result import ProcessingResult
from localcloud.specs import (
    EventSourceMappingSpec,
    SavedEventSourceMapping,
    StackEventSourceMapping,
)

logger = logging.getLogger(__name__)

USER_INITIATED = "USER_INITIATED"  # SQS mappings (Lambda's API reference examples)
USER_ACTION = "User action"  # Kinesis and DynamoDB stream mappings
POLLERS_OFF = (
    "Not polled: this local cloud runs no event source mappings (it was started without "
    "them, as `localcloud invoke` is); `localcloud up` polls them."
)
SETTLED = ("Enabled", "Disabled")


class MappingNotFound(LookupError):
    """No mapping has this UUID (ResourceNotFoundException)."""


class MappingInUse(RuntimeError):
    """The mapping is being created, updated or deleted (ResourceInUseException)."""


class Runner(Protocol):
    """What runs the pollers: ``localcloud.esm.supervisor.EventSourceMappingSupervisor``."""

    def run(
        self, key: str, mapping: EventSourceMappingSpec, result: ProcessingResult | None = None
    ) -> None: ...

    def halt(self, key: str) -> None: ...

    def forget(self, key: str, logical_id: str) -> None: ...


class NoPollers:
    """The runner of a cloud started without event source mappings: nothing polls."""

    def run(
        self, key: str, mapping: EventSourceMappingSpec, result: ProcessingResult | None = None
    ) -> None:
        pass

    def halt(self, key: str) -> None:
        pass

    def forget(self, key: str, logical_id: str) -> None:
        pass


@dataclass
class Mapping:
    uuid: str
    properties: dict[str, Any]  # API-shaped, FunctionName resolved to the physical name
    spec: EventSourceMappingSpec
    state: str
    state_transition_reason: str
    last_modified: float
    logical_id: str | None = None  # set for the stack's own mappings
    result: ProcessingResult | None = None  # stream mappings: their LastProcessingResult
    stack_name: str | None = None
    # A stack mapping's properties as its template declares them (what an update compares).
    declared: dict[str, Any] | None = None

    @property
    def last_processing_result(self) -> str | None:
        return self.result.value if self.result is not None else None


@dataclass(frozen=True)
class StackResource:
    """A stack's mapping as CloudFormation lists it (its resource, not the live mapping)."""

    logical_id: str
    uuid: str
    last_updated: float


def user_reason(spec: EventSourceMappingSpec) -> str:
    return USER_INITIATED if spec.source == "sqs" else USER_ACTION


class EventSourceMappings:
    """Every mapping by UUID; thread-safe. ``runner`` starts and stops their pollers.

    ``stack_name`` is the stack ``add_stack_mapping`` adds to when given none (``up``'s);
    ``polling=False``: a cloud without pollers (``runner`` runs nothing).
    """

    def __init__(self, runner: Runner, stack_name: str = "", *, polling: bool = True) -> None:
        self._runner = runner
        self.stack_name = stack_name
        self.polling = polling
        self._lock = threading.Lock()
        self._mappings: dict[str, Mapping] = {}
        self._transitions: list[threading.Thread] = []
        # stack name -> its mappings as it last deployed them, by UUID (ListStackResources).
        self._stack_resources: dict[str, dict[str, StackResource]] = {}

    def add_stack_mapping(
        self, resource: StackEventSourceMapping, stack_name: str | None = None
    ) -> Mapping:
        """One of a deployed template's mappings, polled from now on if enabled."""
        spec = esm_spec(resource.logical_id, resource.properties)
        mapping = self._new(resource.properties, spec, resource.logical_id, resource.uuid)
        mapping.stack_name = stack_name or self.stack_name
        mapping.declared = dict(resource.properties)
        self._declare(mapping.stack_name, resource.logical_id, resource.uuid)
        self._start_settled(mapping)
        return mapping

    def declare_stack_resources(
        self, stack_name: str, resources: tuple[StackEventSourceMapping, ...]
    ) -> None:
        """The stack's mappings as its deployment holds them, whichever of them the Lambda API
        has deleted since (a saved cloud keeps no deleted mapping, its stack does)."""
        with self._lock:
            known = self._stack_resources.pop(stack_name, {})
        for resource in resources:
            kept = known.get(resource.uuid)
            self._declare(stack_name, resource.logical_id, resource.uuid, kept)

    def stack_resources(self, stack_name: str) -> list[StackResource]:
        with self._lock:
            return list(self._stack_resources.get(stack_name, {}).values())

    def _declare(
        self,
        stack_name: str,
        logical_id: str,
        mapping_uuid: str,
        kept: StackResource | None = None,
    ) -> None:
        resource = kept or StackResource(logical_id, mapping_uuid, time.time())
        with self._lock:
            self._stack_resources.setdefault(stack_name, {})[mapping_uuid] = resource

    def restore(self, saved: SavedEventSourceMapping) -> Mapping:
        """A mapping as a saved cloud left it (``saved()``), polled from now on if enabled."""
        spec = esm_spec(saved.logical_id or saved.uuid, saved.properties)
        mapping = self._new(saved.properties, spec, saved.logical_id, saved.uuid)
        mapping.last_modified = saved.last_modified
        if saved.logical_id is not None:  # the saved stack's own (a --persist cloud has one)
            mapping.stack_name, mapping.declared = self.stack_name, dict(saved.properties)
            self._declare(self.stack_name, saved.logical_id, saved.uuid)
        if mapping.result is not None and saved.last_processing_result:
            mapping.result = ProcessingResult(saved.last_processing_result)
        self._start_settled(mapping)
        return mapping

    def saved(self) -> tuple[SavedEventSourceMapping, ...]:
        """Every mapping as the API left it, a deleting one excluded (it is going)."""
        return tuple(
            SavedEventSourceMapping(
                uuid=m.uuid,
                logical_id=m.logical_id,
                properties=m.properties,
                last_modified=m.last_modified,
                last_processing_result=m.last_processing_result,
            )
            for m in self.matching()
            if m.state != "Deleting"
        )

    def replace_stack_mappings(
        self, stack_name: str, resources: tuple[StackEventSourceMapping, ...]
    ) -> None:
        """The stack's mappings become ``resources`` (by UUID; none: the stack was deleted)."""
        self.wait_settled(timeout_s=30)
        wanted = {resource.uuid: resource for resource in resources}
        updated: set[str] = set()
        for mapping in self.stack_mappings(stack_name):
            resource = wanted.pop(mapping.uuid, None)
            if resource is None:
                self._retire(mapping.uuid)
            elif resource.properties != mapping.declared:
                self._redeclare(mapping.uuid, resource)
                updated.add(mapping.uuid)
        for resource in wanted.values():
            self.add_stack_mapping(resource, stack_name)
        with self._lock:
            listed = self._stack_resources.pop(stack_name, {})
        for resource in resources:
            unchanged = listed.get(resource.uuid) if resource.uuid not in updated else None
            self._declare(stack_name, resource.logical_id, resource.uuid, unchanged)

    def _retire(self, mapping_uuid: str) -> None:
        with self._lock:
            mapping = self._mappings[mapping_uuid]
            was_enabled = mapping.state == "Enabled"
            mapping.state = "Deleting"
            self._touch(mapping)
        self._transition(mapping, mapping_uuid if was_enabled else None, None, remove=True)

    def _redeclare(self, mapping_uuid: str, resource: StackEventSourceMapping) -> None:
        with self._lock:
            mapping = self._mappings[mapping_uuid]
            spec = esm_spec(resource.logical_id, resource.properties)
            was_enabled = mapping.state == "Enabled"
            mapping.properties = {**resource.properties, "FunctionName": spec.function_name}
            mapping.spec, mapping.declared = spec, dict(resource.properties)
            if was_enabled == spec.enabled:
                mapping.state = "Updating"
            else:
                mapping.state = "Enabling" if spec.enabled else "Disabling"
            self._touch(mapping)
        self._transition(
            mapping, mapping_uuid if was_enabled else None, spec if spec.enabled else None
        )

    def create(self, properties: dict[str, Any]) -> Mapping:
        """A mapping created through the API; answers ``Creating``, then starts polling."""
        key = str(uuid.uuid4())
        spec = esm_spec(key, properties)
        mapping = self._new(properties, spec, None, key)
        answer = replace(mapping)  # as it is now: the transition may settle before we answer
        self._transition(mapping, None, spec if spec.enabled else None)
        return answer

    def get(self, mapping_uuid: str) -> Mapping:
        with self._lock:
            try:
                return replace(self._mappings[mapping_uuid])
            except KeyError:
                raise MappingNotFound(mapping_uuid) from None

    def matching(
        self, function_name: str | None = None, source_arn: str | None = None
    ) -> list[Mapping]:
        with self._lock:
            found = [replace(m) for m in self._mappings.values()]
        return [
            m
            for m in found
            if (function_name is None or m.spec.function_name == function_name)
            and (source_arn is None or m.spec.event_source_arn == source_arn)
        ]

    def update(self, mapping_uuid: str, changes: dict[str, Any]) -> Mapping:
        """Applies ``changes`` (UpdateEventSourceMapping's fields) to the running poller."""
        with self._lock:
            mapping = self._settled(mapping_uuid)
            properties = {**mapping.properties, **changes}
            spec = esm_spec(mapping.spec.logical_id, properties)
            was_enabled = mapping.spec.enabled
            mapping.properties, mapping.spec = properties, spec
            if was_enabled == spec.enabled:
                mapping.state = "Updating"
            else:
                mapping.state = "Enabling" if spec.enabled else "Disabling"
            self._touch(mapping)
            answer = replace(mapping)  # as it is now: the transition may settle before we answer
        self._transition(
            mapping, mapping_uuid if was_enabled else None, spec if spec.enabled else None
        )
        return answer

    def delete(self, mapping_uuid: str) -> Mapping:
        with self._lock:
            mapping = self._settled(mapping_uuid)
            mapping.state = "Deleting"
            self._touch(mapping)
            answer = replace(mapping)
        self._transition(mapping, mapping_uuid, None, remove=True)
        return answer

    def stack_mappings(self, stack_name: str | None = None) -> list[Mapping]:
        """A stack's own mappings (``up``'s stack when given none)."""
        wanted = stack_name or self.stack_name
        return [m for m in self.matching() if m.logical_id is not None and m.stack_name == wanted]

    def wait_settled(self, timeout_s: float) -> None:
        """Waits for the transitions in progress (tests, shutdown)."""
        deadline = time.monotonic() + timeout_s
        with self._lock:
            transitions = list(self._transitions)
        for thread in transitions:
            thread.join(max(deadline - time.monotonic(), 0))

    def _new(
        self,
        properties: dict[str, Any],
        spec: EventSourceMappingSpec,
        logical_id: str | None,
        key: str,
    ) -> Mapping:
        properties = {**properties, "FunctionName": spec.function_name}
        mapping = Mapping(
            uuid=key,
            properties=properties,
            spec=spec,
            state="Creating",
            state_transition_reason=user_reason(spec),
            last_modified=time.time(),
            logical_id=logical_id,
            result=None if spec.source == "sqs" else ProcessingResult(),
        )
        with self._lock:
            self._mappings[mapping.uuid] = mapping
        return mapping

    def _start_settled(self, mapping: Mapping) -> None:
        """A mapping that exists from the start (the stack's, a restored one): no transition."""
        with self._lock:
            self._settle(mapping, running=mapping.spec.enabled)
        if mapping.spec.enabled:
            self._runner.run(mapping.uuid, mapping.spec, mapping.result)

    def _settle(self, mapping: Mapping, *, running: bool) -> None:
        """The state a mapping settles in (lock held)."""
        if self.polling:
            mapping.state = "Enabled" if running else "Disabled"
        else:
            mapping.state, mapping.state_transition_reason = "Disabled", POLLERS_OFF

    def _settled(self, mapping_uuid: str) -> Mapping:
        """The mapping (lock held), refusing one that is still changing."""
        mapping = self._mappings.get(mapping_uuid)
        if mapping is None:
            raise MappingNotFound(mapping_uuid)
        if mapping.state not in SETTLED:
            raise MappingInUse(
                f"Cannot update the event source mapping {mapping_uuid} because it is in use "
                f"(State: {mapping.state})."
            )
        return mapping

    @staticmethod
    def _touch(mapping: Mapping) -> None:
        mapping.last_modified = time.time()
        mapping.state_transition_reason = user_reason(mapping.spec)

    def _transition(
        self,
        mapping: Mapping,
        halt: str | None,
        run: EventSourceMappingSpec | None,
        *,
        remove: bool = False,
    ) -> None:
        """Stops and/or starts the poller off the request thread, then settles the state.

        Stopping waits for an in-flight batch (up to the join timeout), which an API answer
        must not; Lambda too answers first and reports the transition in ``State``.
        """

        def settle() -> None:
            try:
                if halt is not None:
                    self._runner.halt(halt)
                if remove:
                    self._runner.forget(mapping.uuid, mapping.spec.logical_id)
                if run is not None:
                    self._runner.run(mapping.uuid, run, mapping.result)
            except Exception:
                logger.exception("event source mapping %s: %s failed", mapping.uuid, mapping.state)
            with self._lock:
                if remove:
                    self._mappings.pop(mapping.uuid, None)
                else:
                    self._settle(mapping, running=run is not None)
                self._transitions = [t for t in self._transitions if t.is_alive() and t is not me]

        me = threading.Thread(target=settle, name=f"esm-api-{mapping.uuid[:8]}", daemon=True)
        with self._lock:
            self._transitions.append(me)
        me.start()
