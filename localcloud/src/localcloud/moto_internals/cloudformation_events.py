"""Per-resource stack events, which moto's CloudFormation does not record.

moto 5.2.5 records only the stack's own ``CREATE_IN_PROGRESS`` / ``CREATE_COMPLETE``, where
CloudFormation records a ``CREATE_IN_PROGRESS`` and a ``CREATE_COMPLETE`` per resource in
between. :func:`record_resource_events` adds them, in the order given (moto's creation order,
then the resources the local cloud creates itself, such as the event source mappings), with
timestamps spread between the stack's two events: moto creates the resources inside one call
and keeps no time per resource.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from moto.cloudformation.models import Event, cloudformation_backends

from localcloud.config import ACCOUNT_ID


@dataclass(frozen=True)
class CreatedResource:
    logical_id: str
    physical_id: str
    resource_type: str


def record_resource_events(
    stack_name: str, region: str, resources: Sequence[CreatedResource]
) -> None:
    stack = cloudformation_backends[ACCOUNT_ID][region].get_stack(stack_name)
    events = list(stack.events)
    starts = [i for i, e in enumerate(events) if e.resource_status == "CREATE_IN_PROGRESS"]
    ends = [i for i, e in enumerate(events) if e.resource_status == "CREATE_COMPLETE"]
    if not starts or not ends:
        return
    first, last = events[starts[0]], events[ends[-1]]
    step = (last.timestamp - first.timestamp) / (2 * len(resources) + 1)
    added: list[Event] = []
    for n, resource in enumerate(resources):
        for k, status in enumerate(("CREATE_IN_PROGRESS", "CREATE_COMPLETE")):
            event = Event(
                stack_id=stack.stack_id,
                stack_name=stack.name,
                logical_resource_id=resource.logical_id,
                physical_resource_id=resource.physical_id if k else "",
                resource_type=resource.resource_type,
                resource_status=status,
                resource_status_reason="Resource creation Initiated" if not k else None,
                resource_properties=None,
            )
            event.timestamp = first.timestamp + step * (2 * n + k + 1)
            added.append(event)
    stack.events[:] = [*events[: ends[-1]], *added, *events[ends[-1] :]]
