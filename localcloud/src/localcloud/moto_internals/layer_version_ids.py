"""A stack's ``AWS::Lambda::LayerVersion`` has its version ARN as physical id, as in CloudFormation.

moto 5.2.5's ``LayerVersion`` has no ``physical_resource_id``: ``ListStackResources`` gives it an
empty physical id, so ``sam sync --code`` cannot find the layer ("Cannot find resource … in
remote"), and a ``Ref`` to it resolves to moto's object rather than the ARN. The property is
added once per process, when the server starts.
"""

from __future__ import annotations

from moto.awslambda.models import LayerVersion


def _physical_resource_id(layer_version: LayerVersion) -> str:
    return str(layer_version.arn)


def install_layer_version_ids() -> None:
    if not hasattr(LayerVersion, "physical_resource_id"):
        LayerVersion.physical_resource_id = property(_physical_resource_id)  # type: ignore[attr-defined]
