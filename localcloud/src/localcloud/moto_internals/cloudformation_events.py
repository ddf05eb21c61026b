"""Per-resource stack events, which moto's CloudFormation does not record.

moto 5.2.5 records only the stack's own ``CREATE_IN_PROGRESS`` / ``CREATE_COMPLETE`` (or
``UPDATE_…`` for an update), where CloudFormation records an ``…_IN_PROGRESS`` and an
``…_COMPLETE`` per resource in between: ``CREATE`` for a resource created, ``UPDATE`` for one
updated, ``DELETE`` for one removed. :func:`record_resource_events` adds them between the stack's
last pair of events for ``operation``, in the order given (moto's creation order, then the
resources the local cloud creates itself, such as the event source mappings), with timestamps
spread between the pair: moto changes the resources inside one call and keeps no time per
resource.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from moto.cloudformation.models import Event, cloudformation_backends

from localcloud.config import ACCOUNT_ID

Operation = Literal["CREATE", "UPDATE", "DELETE"]
_INITIATED = {
    "CREATE": "Resource creation Initiated",
    "UPDATE": None,
    "DELETE": None,
}


@dataclass(frozen=True)
class ResourceEvent:
    logical_id: str
    physical_id: str
    resource_type: str
    operation: Operation = "CREATE"


def record_resource_events(
    stack_name: str,
    region: str,
    resources: Sequence[ResourceEvent],
    operation: Literal["CREATE", "UPDATE"] = "CREATE",
) -> None:
    stack = cloudformation_backends[ACCOUNT_ID][region].get_stack(stack_name)
    events = list(stack.events)
    own = [i for i, e in enumerate(events) if e.logical_resource_id == stack.name]
    starts = [i for i in own if events[i].resource_status == f"{operation}_IN_PROGRESS"]
    ends = [i for i in own if events[i].resource_status == f"{operation}_COMPLETE"]
    if not starts or not ends or not resources:
        return
    first, last = events[starts[-1]], events[ends[-1]]
    step = (last.timestamp - first.timestamp) / (2 * len(resources) + 1)
    added: list[Event] = []
    for n, resource in enumerate(resources):
        for k, phase in enumerate(("IN_PROGRESS", "COMPLETE")):
            event = Event(
                stack_id=stack.stack_id,
                stack_name=stack.name,
                logical_resource_id=resource.logical_id,
                # A resource being created has no physical id yet.
                physical_resource_id=""
                if (resource.operation, k) == ("CREATE", 0)
                else resource.physical_id,
                resource_type=resource.resource_type,
                resource_status=f"{resource.operation}_{phase}",
                resource_status_reason=None if k else _INITIATED[resource.operation],
                resource_properties=None,
            )
            event.timestamp = first.timestamp + step * (2 * n + k + 1)
            added.append(event)
    stack.events[:] = [*events[: ends[-1]], *added, *events[ends[-1] :]]
