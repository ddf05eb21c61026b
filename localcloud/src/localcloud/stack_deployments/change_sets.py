"""Change sets as CloudFormation keeps them: one per name per stack, each with its status, its
execution status, what it would change, and the prepared template it deploys when executed."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from localcloud.config import ACCOUNT_ID
from localcloud.deploy.changes import ResourceChange
from localcloud.deploy.prepared import PreparedStack
from localcloud.stack_deployments.protocol import QueryError

ChangeSetType = Literal["CREATE", "UPDATE"]
NO_CHANGES = (
    "The submitted information didn't contain changes. Submit different information to "
    "create a change set."
)


@dataclass
class ChangeSet:
    change_set_id: str
    name: str
    stack_name: str
    stack_id: str
    change_set_type: ChangeSetType
    parameters: dict[str, str]
    capabilities: list[str]
    tags: dict[str, str]
    description: str | None
    status: str = "CREATE_IN_PROGRESS"
    execution_status: str = "UNAVAILABLE"
    status_reason: str | None = None
    changes: list[ResourceChange] = field(default_factory=list)
    replaced: tuple[str, ...] = ()
    physical_ids: dict[str, str] = field(default_factory=dict)
    prepared: PreparedStack | None = None
    creation_time: datetime = field(default_factory=lambda: datetime.now(UTC))

    def completed(self, prepared: PreparedStack, changes: list[ResourceChange]) -> None:
        self.prepared, self.changes = prepared, changes
        self.status, self.execution_status = "CREATE_COMPLETE", "AVAILABLE"

    def failed(self, reason: str) -> None:
        self.status, self.execution_status, self.status_reason = "FAILED", "UNAVAILABLE", reason

    def describe(self) -> dict[str, Any]:
        return {
            "ChangeSetName": self.name,
            "ChangeSetId": self.change_set_id,
            "StackId": self.stack_id,
            "StackName": self.stack_name,
            "Description": self.description,
            "Parameters": [
                {"ParameterKey": k, "ParameterValue": v} for k, v in self.parameters.items()
            ],
            "CreationTime": self.creation_time,
            "ExecutionStatus": self.execution_status,
            "Status": self.status,
            "StatusReason": self.status_reason,
            "NotificationARNs": [],
            "Capabilities": self.capabilities,
            "Tags": [{"Key": k, "Value": v} for k, v in self.tags.items()],
            "Changes": [self._change(change) for change in self.changes],
            "IncludeNestedStacks": False,
        }

    def _change(self, change: ResourceChange) -> dict[str, Any]:
        resource: dict[str, Any] = {
            "Action": change.action,
            "LogicalResourceId": change.logical_id,
            "PhysicalResourceId": self.physical_ids.get(change.logical_id),
            "ResourceType": change.resource_type,
        }
        if change.action == "Modify":
            resource["Replacement"] = "True" if change.logical_id in self.replaced else "False"
            resource["Scope"] = ["Properties"]
        return {"Type": "Resource", "ResourceChange": resource}

    def summary(self) -> dict[str, Any]:
        return {
            "StackId": self.stack_id,
            "StackName": self.stack_name,
            "ChangeSetId": self.change_set_id,
            "ChangeSetName": self.name,
            "ExecutionStatus": self.execution_status,
            "Status": self.status,
            "StatusReason": self.status_reason,
            "CreationTime": self.creation_time,
            "Description": self.description,
            "IncludeNestedStacks": False,
        }


def change_set_arn(region: str, name: str) -> str:
    return f"arn:aws:cloudformation:{region}:{ACCOUNT_ID}:changeSet/{name}/{uuid.uuid4()}"


def check_name(name: str | None) -> str:
    if not name or not name[0].isalpha() or not all(c.isalnum() or c == "-" for c in name):
        raise QueryError(
            "ValidationError",
            f"1 validation error detected: Value '{name}' at 'changeSetName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: "
            "[a-zA-Z][-a-zA-Z0-9]*",
        )
    if len(name) > 128:
        raise QueryError("ValidationError", f"change set name {name} is longer than 128")
    return name


class ChangeSets:
    """Every change set by id; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_id: dict[str, ChangeSet] = {}

    def add(self, change_set: ChangeSet) -> None:
        with self._lock:
            for other in list(self._by_id.values()):
                if other.stack_name == change_set.stack_name and other.name == change_set.name:
                    raise QueryError(
                        "AlreadyExistsException",
                        f"ChangeSet {change_set.name} already exists",
                    )
            self._by_id[change_set.change_set_id] = change_set

    def find(self, name_or_id: str | None, stack_name: str | None) -> ChangeSet:
        """By ARN, or by name within the stack named (by name or id)."""
        with self._lock:
            if name_or_id in self._by_id:
                return self._by_id[name_or_id]
            for change_set in self._by_id.values():
                if change_set.name == name_or_id and stack_name in (
                    change_set.stack_name,
                    change_set.stack_id,
                ):
                    return change_set
        raise QueryError(
            "ChangeSetNotFound", f"ChangeSet [{name_or_id}] does not exist", status=404
        )

    def of_stack(self, stack_name_or_id: str | None) -> list[ChangeSet]:
        with self._lock:
            return [
                c for c in self._by_id.values() if stack_name_or_id in (c.stack_name, c.stack_id)
            ]

    def remove(self, change_set: ChangeSet) -> None:
        with self._lock:
            self._by_id.pop(change_set.change_set_id, None)
