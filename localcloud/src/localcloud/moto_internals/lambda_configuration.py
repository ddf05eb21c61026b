"""Set what a function's template declares on moto's function, where moto's CloudFormation drops it.

moto 5.2.5 builds an ``AWS::Lambda::Function`` from a fixed subset of its properties, so
``GetFunctionConfiguration`` says ``x86_64`` / ``PassThrough`` and no layers for a function the
template declares ``arm64`` with ``Tracing: Active`` and two layers. The deployer hands the
declared values (resolved through an internal output) to :func:`declare_configuration`, which
sets the attributes moto's ``get_configuration`` reads. Layers moto does not hold (the official
Powertools layer) are reported with ``CodeSize`` 0: the workers take Powertools from the venv;
:func:`set_layers` does the same for an ``UpdateFunctionConfiguration`` that names them.
"""

from __future__ import annotations

from typing import Any

from moto.awslambda.models import LayerDataType, lambda_backends
from moto.cloudformation.models import cloudformation_backends

from localcloud.config import ACCOUNT_ID
from localcloud.moto_internals.cloudformation_fixups import LAYER_REF_KEY


def _layer_arn(stack_name: str, region: str, layer: Any) -> str:
    """A layer ARN as declared, or the ARN of the stack's own LayerVersion it refers to."""
    if isinstance(layer, dict) and LAYER_REF_KEY in layer:
        stack = cloudformation_backends[ACCOUNT_ID][region].get_stack(stack_name)
        layer_version = stack.resource_map[layer[LAYER_REF_KEY]]
        assert layer_version is not None, layer
        return str(layer_version.arn)
    return str(layer)


def declare_configuration(
    stack_name: str, region: str, function_name: str, declared: dict[str, Any]
) -> None:
    backend = lambda_backends[ACCOUNT_ID][region]
    function = backend.get_function(function_name)
    if "Architectures" in declared:
        function.architectures = [str(a) for a in declared["Architectures"]]
    if "TracingConfig" in declared:
        function.tracing_config = {
            "Mode": str(declared["TracingConfig"].get("Mode", "PassThrough"))
        }
    if "EphemeralStorage" in declared:
        function.ephemeral_storage = int(declared["EphemeralStorage"].get("Size", 512))
    if "Layers" in declared:
        set_layers(
            region,
            function_name,
            [_layer_arn(stack_name, region, layer) for layer in declared["Layers"]],
        )


def set_layers(region: str, function_name: str, arns: list[str]) -> list[dict[str, Any]]:
    """The function's layers, as ``GetFunctionConfiguration`` will report them.

    moto's own ``UpdateFunctionConfiguration`` refuses a layer it does not hold, such as the
    official Powertools layer (another account's), which Lambda accepts.
    """
    backend = lambda_backends[ACCOUNT_ID][region]
    layers: list[LayerDataType] = []
    for arn in arns:
        held = backend.layers_versions_by_arn(arn)
        layers.append({"Arn": arn, "CodeSize": held.code_size if held else 0})
    backend.get_function(function_name).layers = layers
    return [dict(layer) for layer in layers]
