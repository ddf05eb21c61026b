"""A template made ready for moto: the part of a deploy that changes nothing yet.

``prepare_stack`` runs everything that can refuse a template before a resource exists: the
policy attributes (LanguageExtensions), the SAM transform (samtranslator, offline), the check
that every function can run here, locating each function's code, moto's fixups and the
SSM-typed parameters. ``localcloud up`` prepares and creates in one go
(``deployer.deploy_template_file``); a change set prepares when it is created, so a template the
local cloud cannot deploy fails the change set, with its reason, and nothing is deployed
(``localcloud.stack_deployments``).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localcloud.deploy.package import PackagedCode
from localcloud.deploy.policy_attributes import resolve_policy_attributes
from localcloud.deploy.ssm_parameters import resolve_for_moto
from localcloud.deploy.translate import translate
from localcloud.moto_internals.cloudformation_fixups import (
    FUNCTION_TYPE,
    MotoTemplate,
    prepare_for_moto,
)
from localcloud.specs import DeployedStack

log = logging.getLogger(__name__)

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"


@dataclass(frozen=True)
class StackCode:
    """Where a stack's code is on disk for the workers."""

    functions: dict[str, PackagedCode]  # by function logical id
    layers: dict[str, tuple[Path, ...]] = field(default_factory=dict)  # by LayerVersion id


# A stack's code, located from its translated template.
CodeLocator = Callable[[dict[str, Any]], StackCode]


class TemplateNotRunnable(ValueError):
    """A template the local cloud would deploy only in part (a function it cannot run)."""


@dataclass(frozen=True)
class PreparedStack:
    stack_name: str
    template: dict[str, Any]  # as submitted (SAM or plain CloudFormation), CodeUri in S3
    template_body: str  # its text, as GetTemplate returns it
    parameters: dict[str, str]
    translated: dict[str, Any]  # plain CloudFormation: CloudFormation's "processed" template
    moto_template: MotoTemplate
    moto_parameters: dict[str, str]
    code: StackCode
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def resources(self) -> dict[str, Any]:
        """The translated template's resources (what a change set lists)."""
        return dict(self.translated.get("Resources") or {})


@dataclass(frozen=True)
class Deployment:
    """A stack as the local cloud deployed it: what it was asked, and what runs."""

    prepared: PreparedStack
    stack: DeployedStack
    # logical id -> (resource type, physical id) of what moto holds (for the next update's events)
    physical_ids: dict[str, tuple[str, str]] = field(default_factory=dict)


def uses_sam_transform(template: Mapping[str, Any]) -> bool:
    transform = template.get("Transform")
    transforms = transform if isinstance(transform, list) else [transform]
    return SAM_TRANSFORM in transforms


NESTED_STACK_TYPES = ("AWS::CloudFormation::Stack", "AWS::Serverless::Application")
# What SAM CLI's sync names the nested stack of its auto dependency layer.
DEPENDENCY_LAYER_STACK = "AwsSamAutoDependencyLayerNestedStack"


def check_runnable(translated: Mapping[str, Any]) -> None:
    """Every function runs in a worker of this interpreter: Python, from a zip; and the local
    cloud deploys no nested stack (it would neither run its functions nor their layers)."""
    resources = translated.get("Resources") or {}
    nested = [i for i, r in resources.items() if r.get("Type") in NESTED_STACK_TYPES]
    if nested:
        hint = (
            " (sam sync puts the functions' dependencies there: run it with --no-dependency-layer)"
            if DEPENDENCY_LAYER_STACK in nested
            else ""
        )
        raise TemplateNotRunnable(
            f"the local cloud deploys no nested stacks: {', '.join(nested)}{hint}"
        )
    refused = []
    for logical_id, resource in resources.items():
        if resource.get("Type") != FUNCTION_TYPE:
            continue
        props = resource.get("Properties") or {}
        runtime = props.get("Runtime")
        if props.get("PackageType") == "Image":
            refused.append(f"{logical_id} (a container image)")
        elif isinstance(runtime, str) and not runtime.startswith("python"):
            refused.append(f"{logical_id} (Runtime {runtime})")
    if refused:
        raise TemplateNotRunnable(
            "the local cloud runs Python functions from zip code only, so it would deploy this "
            f"template without running {', '.join(refused)}"
        )


def prepare_stack(
    template: dict[str, Any],
    parameters: dict[str, str],
    *,
    template_body: str,
    stack_name: str,
    region: str,
    locate_code: CodeLocator,
    tags: Mapping[str, str] | None = None,
) -> PreparedStack:
    # AWS::LanguageExtensions first, as CloudFormation runs it before the SAM transform.
    resolved = resolve_policy_attributes(template, parameters)
    if uses_sam_transform(resolved):
        translated = translate(resolved, parameters, region)
    else:
        translated = copy.deepcopy(resolved)
    check_runnable(translated)
    code = locate_code(translated)
    moto_template = prepare_for_moto(translated)
    moto_parameters = resolve_for_moto(moto_template.template, parameters, region)
    for dropped in moto_template.dropped:
        log.info("%s (%s) not created in moto: %s", *vars(dropped).values())
    if moto_template.stripped_layers:
        log.info(
            "Layers removed from moto's copy (Powertools comes from the venv, the stack's own "
            "layers from their ContentUri): %s",
            moto_template.stripped_layers,
        )
    return PreparedStack(
        stack_name=stack_name,
        template=template,
        template_body=template_body,
        parameters=dict(parameters),
        translated=translated,
        moto_template=moto_template,
        moto_parameters=moto_parameters,
        code=code,
        tags=dict(tags or {}),
    )
