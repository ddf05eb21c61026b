"""What a change set lists: the resources a deploy adds, modifies and removes.

CloudFormation compares the processed (translated) templates; so does this. A resource whose
definition is unchanged but refers to a parameter whose value changed is modified too, which
the caller adds from moto's own diff (``deploy.updates``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

Action = Literal["Add", "Modify", "Remove"]


@dataclass(frozen=True)
class ResourceChange:
    action: Action
    logical_id: str
    resource_type: str


def resource_changes(
    new: Mapping[str, Any],
    old: Mapping[str, Any] | None,
    also_modified: Iterable[str] = (),
) -> list[ResourceChange]:
    """``new`` and ``old`` are the translated templates' ``Resources``; ``old`` None: a create."""
    old = old or {}
    also = set(also_modified)
    changes = [
        ResourceChange("Add", logical_id, str(resource.get("Type")))
        for logical_id, resource in new.items()
        if logical_id not in old
    ]
    changes += [
        ResourceChange("Modify", logical_id, str(resource.get("Type")))
        for logical_id, resource in new.items()
        if logical_id in old and (resource != old[logical_id] or logical_id in also)
    ]
    changes += [
        ResourceChange("Remove", logical_id, str(resource.get("Type")))
        for logical_id, resource in old.items()
        if logical_id not in new
    ]
    return changes
