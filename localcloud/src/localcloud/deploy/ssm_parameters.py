"""Parameters of type ``AWS::SSM::Parameter::Value<...>``, answered offline for moto.

CloudFormation resolves such a parameter's value (an SSM parameter name) from Parameter Store at
deploy time; moto's CloudFormation does the same from its own SSM, where nobody can create the
public ``/aws/service/...`` names (reserved, as in AWS). The local cloud knows the public
parameters the template uses and gives moto their value directly: the parameter's type becomes
``String`` in moto's copy and its value the stand-in below. Any other SSM parameter name is
refused, naming the ones it knows.

Known offline: the layer ARN Powertools for AWS Lambda (Python) publishes per architecture,
runtime and release (``/aws/service/powertools/python/<arch>/<runtime>/<version>``). The layer's
number in that ARN is not derivable from the release and functions' layers never reach moto (the
workers import the venv's Powertools), so the stand-in carries version 0, a number no published
layer has.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from localcloud.deploy.parameters import ParameterError

SSM_TYPE_PREFIX = "AWS::SSM::Parameter::Value<"
POWERTOOLS_LAYER_PARAMETER = re.compile(
    r"/aws/service/powertools/python/(?P<arch>arm64|x86_64)/python3\.(?P<minor>\d+)/"
    r"(?P<version>\d+\.\d+\.\d+|latest)"
)
POWERTOOLS_LAYER_ACCOUNT = "017000801446"


def offline_value(name: str, region: str) -> str:
    """The value the local cloud gives a known public SSM parameter."""
    match = POWERTOOLS_LAYER_PARAMETER.fullmatch(name)
    if match is None:
        raise ParameterError(
            f"SSM parameter {name!r} cannot be resolved offline: the local cloud knows only "
            "/aws/service/powertools/python/<arch>/<runtime>/<version>"
        )
    layer = f"AWSLambdaPowertoolsPythonV3-python3{match['minor']}-{match['arch']}"
    return f"arn:aws:lambda:{region}:{POWERTOOLS_LAYER_ACCOUNT}:layer:{layer}:0"


def resolve_for_moto(
    template: dict[str, Any], parameters: Mapping[str, str], region: str
) -> dict[str, str]:
    """Retype ``template``'s SSM parameters (in place) and return the values to deploy with."""
    resolved = dict(parameters)
    for name, declaration in (template.get("Parameters") or {}).items():
        if not str(declaration.get("Type", "")).startswith(SSM_TYPE_PREFIX):
            continue
        declaration["Type"] = "String"
        declaration.pop("Default", None)  # moto would otherwise look the default up in its SSM
        if name in resolved:
            resolved[name] = offline_value(resolved[name], region)
    return resolved
