"""prepare_for_moto: what is cut from a translated template, and how it is kept."""

from __future__ import annotations

from typing import Any

from localcloud.moto_internals.cloudformation_fixups import INTERNAL_OUTPUT_PREFIX, prepare_for_moto


def _translated() -> dict[str, Any]:
    return {
        "Resources": {
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Properties": {"Handler": "h.handler", "Layers": ["arn:aws:lambda:x"]},
            },
            "FnStream": {
                "Type": "AWS::Lambda::EventSourceMapping",
                "Condition": "IsTest",
                "Properties": {"FunctionName": {"Ref": "Fn"}, "BatchSize": 5},
            },
            "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Body": {"paths": {}}}},
            "ApiDeployment": {"Type": "AWS::ApiGateway::Deployment", "Properties": {}},
            "ApiStage": {
                "Type": "AWS::ApiGateway::Stage",
                "Properties": {"RestApiId": {"Ref": "Api"}, "StageName": {"Ref": "Stage"}},
            },
            "Exotic": {"Type": "AWS::Nothing::Here", "Properties": {}},
            "Queue": {"Type": "AWS::SQS::Queue", "DependsOn": ["Exotic", "Fn"]},
        },
        "Outputs": {"QueueUrl": {"Value": {"Ref": "Queue"}}},
    }


def test_cut_resources_are_listed_and_their_data_kept_in_outputs() -> None:
    prepared = prepare_for_moto(_translated())
    resources = prepared.template["Resources"]
    outputs = prepared.template["Outputs"]

    assert {d.logical_id for d in prepared.dropped} == {
        "FnStream", "ApiDeployment", "ApiStage", "Exotic",
    }  # fmt: skip
    assert set(resources) == {"Fn", "Api", "Queue"}
    esm_output = outputs[prepared.esm_outputs["FnStream"]]
    assert esm_output["Condition"] == "IsTest"
    assert esm_output["Value"]["Fn::ToJsonString"]["BatchSize"] == 5
    api_output = outputs[prepared.api_outputs["Api"]]["Value"]["Fn::ToJsonString"]
    assert api_output == {"Body": {"paths": {}}, "StageName": {"Ref": "Stage"}}
    assert all(key.startswith(INTERNAL_OUTPUT_PREFIX) for key in [*prepared.esm_outputs.values()])


def test_moto_incompatibilities_are_fixed() -> None:
    original = _translated()
    prepared = prepare_for_moto(original)
    resources = prepared.template["Resources"]

    assert "Layers" not in resources["Fn"]["Properties"]
    assert prepared.stripped_layers == ["Fn"]
    assert "Body" not in resources["Api"]["Properties"]
    assert "Name" in resources["Api"]["Properties"]
    assert resources["Queue"]["DependsOn"] == ["Fn"]
    assert "Layers" in original["Resources"]["Fn"]["Properties"]  # the input is untouched
