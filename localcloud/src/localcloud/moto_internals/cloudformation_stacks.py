"""What moto's CloudFormation cannot do through its API for stacks deployed by change sets
(``localcloud.stack_deployments``), and for their updates.

- **A change set's stack keeps its id.** CloudFormation gives a stack its id when its first change
  set is created (the stack is ``REVIEW_IN_PROGRESS`` until executed) and the stack keeps it.
  moto's own ``ExecuteChangeSet`` computes no outputs and cannot take a SAM template, so the
  local cloud creates the stack with ``create_stack``, which gives a new id:
  :func:`open_review_stack` makes the waiting stack (as moto's ``CreateChangeSet`` makes it),
  :func:`take_review_stack` takes it out before the create, :func:`adopt_review_stack` moves
  the created stack under its id (events after its ``REVIEW_IN_PROGRESS``), and
  :func:`fail_review_stack` puts it back as ``ROLLBACK_COMPLETE`` when the create failed.
- **Which updates moto can apply.** :func:`resource_diff` is moto's own diff for an
  ``update_stack`` (what it will add, modify and remove); :func:`updates_in_place` says whether
  moto can modify a resource type at all (for one it cannot, moto's update leaves ``None`` in the
  stack's resource map and every later call on the stack fails).
- :func:`replace_before_update` deletes such a resource (a stateless one the caller chose), so
  the update that follows creates it anew, as CloudFormation replaces it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from moto.cloudformation.models import Event, Stack, cloudformation_backends
from moto.cloudformation.parsing import resource_class_from_type

from localcloud.config import ACCOUNT_ID

REVIEW_IN_PROGRESS = "REVIEW_IN_PROGRESS"
STACK_TYPE = "AWS::CloudFormation::Stack"


@dataclass(frozen=True)
class ReviewStack:
    """A stack waiting for its first change set, taken out of moto until that change set ran."""

    stack: Stack

    @property
    def stack_id(self) -> str:
        return str(self.stack.stack_id)


def _backend(region: str) -> Any:
    return cloudformation_backends[ACCOUNT_ID][region]


def open_review_stack(stack_name: str, region: str, tags: dict[str, str]) -> str:
    """A ``REVIEW_IN_PROGRESS`` stack (moto's own, as its ``CreateChangeSet`` makes one); its id.

    moto's change set that comes with it is dropped: the local cloud keeps the change sets.
    """
    backend = _backend(region)
    change_set_id, stack_id = backend.create_change_set(
        stack_name=stack_name,
        change_set_name="LocalCloudReview",
        template='{"Resources": {}}',
        parameters={},
        description=None,
        change_set_type="CREATE",
        tags=tags,
    )
    backend.delete_change_set(change_set_id)
    return str(stack_id)


def take_review_stack(stack_name: str, region: str) -> ReviewStack | None:
    """The ``REVIEW_IN_PROGRESS`` stack of that name, removed from moto (None if there is none)."""
    stacks = _backend(region).stacks
    for stack_id, stack in list(stacks.items()):
        if stack.name == stack_name and stack.status == REVIEW_IN_PROGRESS:
            del stacks[stack_id]
            return ReviewStack(stack)
    return None


def adopt_review_stack(stack_name: str, region: str, review: ReviewStack) -> None:
    """The stack just created under that name takes the waiting stack's id and first events."""
    backend = _backend(region)
    stack = backend.get_stack(stack_name)
    created_id, stack_id = stack.stack_id, review.stack_id
    del backend.stacks[created_id]
    stack.stack_id = stack_id
    for event in stack.events:
        event.stack_id = stack_id
        if event.physical_resource_id == created_id:
            event.physical_resource_id = stack_id
    stack.events[:0] = review.stack.events
    parsed = stack.resource_map._parsed_resources
    if parsed.get("AWS::StackId") == created_id:
        parsed["AWS::StackId"] = stack_id
    backend.stacks[stack_id] = stack


def _stack_event(stack: Stack, status: str, reason: str | None) -> Event:
    return Event(
        stack_id=stack.stack_id,
        stack_name=stack.name,
        logical_resource_id=stack.name,
        physical_resource_id=stack.stack_id,
        resource_type=STACK_TYPE,
        resource_status=status,
        resource_status_reason=reason,
        resource_properties=None,
    )


def fail_review_stack(region: str, review: ReviewStack, reason: str) -> None:
    """The waiting stack back in moto, as CloudFormation leaves a create that failed."""
    stack = review.stack
    stack.events.extend(
        [
            _stack_event(stack, "CREATE_IN_PROGRESS", "User Initiated"),
            _stack_event(stack, "CREATE_FAILED", reason),
            _stack_event(stack, "ROLLBACK_IN_PROGRESS", reason),
            _stack_event(stack, "ROLLBACK_COMPLETE", None),
        ]
    )
    stack.status = "ROLLBACK_COMPLETE"
    _backend(region).stacks[stack.stack_id] = stack


def fail_update(stack_name: str, region: str, reason: str) -> None:
    """A stack whose update moto could not finish: moto cannot roll back, so it stays as far as
    moto got, reported as CloudFormation reports a rollback that did not complete."""
    stack = _backend(region).get_stack(stack_name)
    stack.events.append(_stack_event(stack, "UPDATE_ROLLBACK_FAILED", reason))
    stack.status = "UPDATE_ROLLBACK_FAILED"


def resource_diff(
    stack_name: str, region: str, template: dict[str, Any], parameters: dict[str, str]
) -> dict[str, list[str]]:
    """Logical ids moto's ``update_stack`` would ``Add``, ``Modify`` and ``Remove``."""
    stack = _backend(region).get_stack(stack_name)
    diff = stack.resource_map.build_resource_diff(template, parameters)
    return {action: list(diff.get(action, [])) for action in ("Add", "Modify", "Remove")}


def updates_in_place(resource_type: str) -> bool:
    """Whether moto's CloudFormation can update a resource of this type (moto's own test)."""
    resource_class = resource_class_from_type(resource_type)
    return resource_class is not None and not hasattr(
        resource_class.update_from_cloudformation_json, "__isabstractmethod__"
    )


def replace_before_update(stack_name: str, region: str, logical_id: str) -> None:
    """Delete the resource from moto and from the stack's template, so the next update adds it."""
    resource_map = _backend(region).get_stack(stack_name).resource_map
    resource = resource_map._parsed_resources.pop(logical_id, None)
    resource_json = resource_map._resource_json_map.pop(logical_id)
    if resource is not None:
        resource_map._delete_resource(resource, resource_json)
