"""SSM-typed template parameters, answered offline so moto's CloudFormation can deploy them."""

from __future__ import annotations

from typing import Any

import pytest

from localcloud.deploy.parameters import ParameterError
from localcloud.deploy.ssm_parameters import offline_value, resolve_for_moto

POWERTOOLS_ARM = "/aws/service/powertools/python/arm64/python3.13/3.37.0"


@pytest.mark.parametrize(
    ("name", "layer"),
    [
        (POWERTOOLS_ARM, "AWSLambdaPowertoolsPythonV3-python313-arm64"),
        (
            "/aws/service/powertools/python/x86_64/python3.12/latest",
            "AWSLambdaPowertoolsPythonV3-python312-x86_64",
        ),
    ],
)
def test_powertools_layer_parameters_resolve_to_the_layer_of_that_runtime(
    name: str, layer: str
) -> None:
    assert offline_value(name, "eu-west-1") == (
        f"arn:aws:lambda:eu-west-1:017000801446:layer:{layer}:0"
    )


@pytest.mark.parametrize(
    "name",
    [
        "/my/own/parameter",
        "/aws/service/powertools/python/arm64/python3.13/",
        "/aws/service/powertools/typescript/arm64/nodejs22.x/2.0.0",
    ],
)
def test_unknown_parameters_are_refused_naming_the_known_ones(name: str) -> None:
    with pytest.raises(ParameterError, match="knows only /aws/service/powertools/python/"):
        offline_value(name, "us-east-1")


def test_moto_gets_a_string_parameter_and_the_resolved_value() -> None:
    template: dict[str, Any] = {
        "Parameters": {
            "Layer": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": POWERTOOLS_ARM},
            "Stage": {"Type": "String", "Default": "v1"},
        }
    }
    values = resolve_for_moto(template, {"Layer": POWERTOOLS_ARM, "Stage": "v1"}, "us-east-1")

    assert template["Parameters"] == {
        "Layer": {"Type": "String"},
        "Stage": {"Type": "String", "Default": "v1"},
    }
    assert values == {"Layer": offline_value(POWERTOOLS_ARM, "us-east-1"), "Stage": "v1"}
