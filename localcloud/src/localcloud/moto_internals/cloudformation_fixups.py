"""Make a translated CloudFormation template deployable on moto without losing information.

What moto cannot take, measured on moto 5.2.5 (each fixup has a test in tests/test_moto_fixups.py):
- ``AWS::ApiGateway::RestApi`` with only a ``Body`` fails (``KeyError: 'Name'``) and moto ignores
  the body: give it a ``Name``, move the body into an internal output (``Fn::ToJsonString``
  resolves its intrinsics) and import it afterwards with ``put_rest_api``.
- ``AWS::ApiGateway::Stage`` is unsupported and ``Deployment`` fails on a body-less API: drop both;
  the deployer creates the stage after the import.
- ``AWS::Lambda::EventSourceMapping``: moto would run them itself, destructively without Docker
  (SQS messages pushed to the DLQ unprocessed, stream records wiped): drop them, keep their
  resolved properties through internal outputs, and let ``localcloud.esm`` poll instead.
- Function ``Layers``: moto rejects layer versions it does not hold (the official Powertools
  layer); the workers use the venv's Powertools instead, and the stack's own layers from their
  ContentUri folders (``FunctionSpec.layer_dirs``).
- Function ``Architectures``, ``TracingConfig`` and ``EphemeralStorage``: moto's CloudFormation
  ignores them (it reports x86_64 and PassThrough); they travel, with the ``Layers``, through an
  internal output and ``moto_internals.lambda_configuration`` sets them on moto's function.
- Any other type moto's CloudFormation does not know is dropped and reported.
- Resource ``Metadata`` (``checkov`` skips; the ``SamResourceId`` SAM CLI adds when it packages)
  leaves moto's copy: moto never reads it, and its update diff would count a change of it alone
  as a modification, which for a type moto cannot update (a table) it cannot apply.
Internal outputs carry ``INTERNAL_OUTPUT_PREFIX``; the deployer hides them once read.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from moto.cloudformation.parsing import resource_class_from_type

INTERNAL_OUTPUT_PREFIX = "LocalCloudInternal"
ESM_TYPE = "AWS::Lambda::EventSourceMapping"
REST_API_TYPE = "AWS::ApiGateway::RestApi"
STAGE_TYPE = "AWS::ApiGateway::Stage"
DEPLOYMENT_TYPE = "AWS::ApiGateway::Deployment"
FUNCTION_TYPE = "AWS::Lambda::Function"
LAYER_VERSION_TYPE = "AWS::Lambda::LayerVersion"
# moto resolves a Ref to its LayerVersion to the object, which Fn::ToJsonString cannot encode:
# such a layer travels as {LAYER_REF_KEY: logical id} (lambda_configuration resolves it).
LAYER_REF_KEY = "LocalCloudLayerVersion"
# What get-function-configuration must report as the template declares it (moto drops them).
DECLARED_FUNCTION_PROPERTIES = ("Architectures", "TracingConfig", "EphemeralStorage", "Layers")


@dataclass(frozen=True)
class DroppedResource:
    logical_id: str
    resource_type: str
    reason: str


@dataclass
class MotoTemplate:
    """The template to hand to moto plus where to find what was taken out of it."""

    template: dict[str, Any]
    esm_outputs: dict[str, str] = field(default_factory=dict)  # ESM logical id -> output key
    api_outputs: dict[str, str] = field(default_factory=dict)  # RestApi logical id -> output key
    # Function logical id -> output key of its DECLARED_FUNCTION_PROPERTIES
    function_outputs: dict[str, str] = field(default_factory=dict)
    # Function logical id -> output key of its LoggingConfig (moto's Lambda keeps none).
    logging_outputs: dict[str, str] = field(default_factory=dict)
    dropped: list[DroppedResource] = field(default_factory=list)
    stripped_layers: list[str] = field(default_factory=list)  # function logical ids


def internal_output_key(kind: str, logical_id: str) -> str:
    return INTERNAL_OUTPUT_PREFIX + kind + re.sub(r"[^A-Za-z0-9]", "", logical_id)


def _stage_names(resources: dict[str, Any]) -> dict[str, Any]:
    """RestApi logical id -> its stage's StageName (possibly an intrinsic)."""
    stages: dict[str, Any] = {}
    for resource in resources.values():
        if resource.get("Type") != STAGE_TYPE:
            continue
        props = resource.get("Properties") or {}
        api_ref = props.get("RestApiId")
        if isinstance(api_ref, dict) and "Ref" in api_ref:
            stages[api_ref["Ref"]] = props.get("StageName")
    return stages


def _add_internal_output(
    outputs: dict[str, Any], key: str, value: Any, condition: str | None
) -> None:
    output: dict[str, Any] = {"Value": {"Fn::ToJsonString": value}}
    if condition:
        output["Condition"] = condition
    outputs[key] = output


def _carry_declared_configuration(
    result: MotoTemplate, logical_id: str, props: dict[str, Any], condition: str | None
) -> None:
    """A function's properties moto drops go to an internal output; its Layers leave moto's copy."""
    declared = {k: props[k] for k in DECLARED_FUNCTION_PROPERTIES if k in props}
    resources = result.template["Resources"]
    if isinstance(declared.get("Layers"), list):
        declared["Layers"] = [
            {LAYER_REF_KEY: layer["Ref"]}
            if isinstance(layer, dict)
            and (resources.get(layer.get("Ref")) or {}).get("Type") == LAYER_VERSION_TYPE
            else layer
            for layer in declared["Layers"]
        ]
    if declared:
        key = internal_output_key("Function", logical_id)
        _add_internal_output(result.template["Outputs"], key, declared, condition)
        result.function_outputs[logical_id] = key
    if "Layers" in props:
        del props["Layers"]
        result.stripped_layers.append(logical_id)


def prepare_for_moto(translated: dict[str, Any]) -> MotoTemplate:
    """A deep copy of ``translated`` that moto deploys, and the bookkeeping to undo the cuts."""
    template = copy.deepcopy(translated)
    resources: dict[str, Any] = template.setdefault("Resources", {})
    outputs: dict[str, Any] = template.setdefault("Outputs", {}) or {}
    template["Outputs"] = outputs
    result = MotoTemplate(template=template)
    stages = _stage_names(resources)

    for logical_id, resource in list(resources.items()):
        resource.pop("Metadata", None)
        rtype = resource.get("Type", "")
        props: dict[str, Any] = resource.setdefault("Properties", {})
        condition = resource.get("Condition")
        if rtype == FUNCTION_TYPE and "LoggingConfig" in props:
            key = internal_output_key("Logging", logical_id)
            _add_internal_output(outputs, key, props["LoggingConfig"], condition)
            result.logging_outputs[logical_id] = key
        if rtype == ESM_TYPE:
            key = internal_output_key("Esm", logical_id)
            _add_internal_output(outputs, key, props, condition)
            result.esm_outputs[logical_id] = key
            result.dropped.append(
                DroppedResource(logical_id, rtype, "polled by localcloud.esm, not by moto")
            )
            del resources[logical_id]
        elif rtype in (STAGE_TYPE, DEPLOYMENT_TYPE):
            result.dropped.append(
                DroppedResource(logical_id, rtype, "stage created after put_rest_api")
            )
            del resources[logical_id]
        elif rtype == REST_API_TYPE:
            props.setdefault("Name", {"Fn::Sub": "${AWS::StackName}-" + logical_id})
            key = internal_output_key("Api", logical_id)
            body = props.pop("Body", {})
            _add_internal_output(
                outputs, key, {"Body": body, "StageName": stages.get(logical_id)}, condition
            )
            result.api_outputs[logical_id] = key
        elif rtype == FUNCTION_TYPE:
            _carry_declared_configuration(result, logical_id, props, condition)
        elif resource_class_from_type(rtype) is None:
            result.dropped.append(
                DroppedResource(logical_id, rtype, "not supported by moto's CloudFormation")
            )
            del resources[logical_id]

    dropped_ids = {d.logical_id for d in result.dropped}
    for resource in resources.values():
        depends_on = resource.get("DependsOn")
        if isinstance(depends_on, str):
            depends_on = [depends_on]
        if depends_on:
            kept = [dep for dep in depends_on if dep not in dropped_ids]
            if kept:
                resource["DependsOn"] = kept
            else:
                resource.pop("DependsOn")
    return result
