"""DeletionPolicy and UpdateReplacePolicy resolved as the AWS::LanguageExtensions transform does.

template.yaml sets both attributes of every stateful resource to ``!Ref StatefulResourcePolicy``;
in AWS the LanguageExtensions transform resolves that before the SAM transform runs. samtranslator
does not (it passes the Ref through) and moto only honours a literal ``Retain`` on delete, so the
local deploy resolves them first, for the forms the template uses: a literal or a Ref to a
parameter. Anything else is refused with the resource's name rather than guessed.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

POLICY_ATTRIBUTES = ("DeletionPolicy", "UpdateReplacePolicy")


class PolicyAttributeError(ValueError):
    """A policy attribute the local cloud cannot resolve (an intrinsic other than a Ref)."""


def resolve_policy_attributes(
    template: Mapping[str, Any], parameters: Mapping[str, str]
) -> dict[str, Any]:
    """A deep copy of ``template`` whose policy attributes are all literals."""
    resolved: dict[str, Any] = copy.deepcopy(dict(template))
    for logical_id, resource in (resolved.get("Resources") or {}).items():
        for attribute in POLICY_ATTRIBUTES:
            if attribute in resource:
                resource[attribute] = _literal(
                    resource[attribute], parameters, f"{logical_id}.{attribute}"
                )
    return resolved


def _literal(value: Any, parameters: Mapping[str, str], where: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and set(value) == {"Ref"}:
        name = value["Ref"]
        if name in parameters:
            return parameters[name]
        raise PolicyAttributeError(
            f"{where}: Ref to {name!r}, which is not a parameter with a value"
        )
    raise PolicyAttributeError(
        f"{where}: the local cloud resolves a literal or a Ref to a parameter, not {value!r}"
    )
