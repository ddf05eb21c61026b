"""Which stack updates moto can apply, checked before anything changes.

moto's ``update_stack`` adds and removes resources as CloudFormation does, and modifies a
resource by its type's update (in place, or by replacement where CloudFormation replaces too).
For a type with no update (DynamoDB tables, log groups, REST APIs, ... in moto 5.2.5) it leaves
the resource broken in the stack. Such a change is refused, naming the resources, unless the
resource holds no data and CloudFormation would replace it anyway (``REPLACED_ON_UPDATE``): then
it is deleted first and the update creates it anew.
"""

from __future__ import annotations

from dataclasses import dataclass

from localcloud.deploy.prepared import PreparedStack
from localcloud.moto_internals.cloudformation_stacks import resource_diff, updates_in_place

# Stateless resources whose changes CloudFormation applies by replacement.
REPLACED_ON_UPDATE = frozenset({"AWS::Lambda::Permission"})


class UpdateRefused(ValueError):
    """An update moto would leave half-applied: the stack keeps what it has."""


@dataclass(frozen=True)
class MotoUpdate:
    modified: tuple[str, ...]  # logical ids moto's update modifies (or replaces)
    replaced: tuple[str, ...]  # of those, the ones deleted first and created anew


def plan_moto_update(prepared: PreparedStack, region: str) -> MotoUpdate:
    template = prepared.moto_template.template
    diff = resource_diff(prepared.stack_name, region, template, prepared.moto_parameters)
    types = {logical_id: str(r.get("Type")) for logical_id, r in template["Resources"].items()}
    cannot = [i for i in diff["Modify"] if not updates_in_place(types[i])]
    refused = [i for i in cannot if types[i] not in REPLACED_ON_UPDATE]
    if refused:
        named = ", ".join(f"{i} ({types[i]})" for i in refused)
        raise UpdateRefused(
            f"the local cloud cannot update {named} in place: moto, which holds "
            f"{'it' if len(refused) == 1 else 'them'}, has no update for "
            f"{'this type' if len(refused) == 1 else 'these types'}, and replacing "
            f"{'it' if len(refused) == 1 else 'them'} could lose data. Nothing was changed. "
            "Deploy this change as a new stack, or delete the stack (sam delete) and deploy again."
        )
    return MotoUpdate(
        modified=tuple(diff["Modify"]),
        replaced=tuple(i for i in cannot if types[i] in REPLACED_ON_UPDATE),
    )
