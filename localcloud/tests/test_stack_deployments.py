"""CloudFormation's deploy operations against a running local cloud, with boto3: what SAM CLI's
conformance cases (tests/conformance/test_sam_cli.py) do not reach - the direct CreateStack /
UpdateStack / DeleteStack path (``sam sync``), change sets the cloud refuses, GetTemplate, a
code update of a function ``up`` deployed from its folder. (A ``--persist`` cloud's refusal is in
test_persistence.py: its cloud runs in a process of its own, as moto's state must.)"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from localcloud.cloud import CloudOptions, LocalCloud

TEMPLATE = Path(__file__).resolve().parent / "functions_under_test" / "template.yaml"
REGION = "us-east-1"
# What sam sync passes: the SAM transform makes a role for the function.
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
POWERTOOLS = (
    "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:7"
)

pytestmark = pytest.mark.slow


def _sam_template(runtime: str = "python3.13", code: str = "def handler(e, c):\n    return 1\n"):
    """A SAM template with one inline-code function (no upload needed) and a queue."""
    return json.dumps(
        {
            "AWSTemplateFormatVersion": "2010-09-09",
            "Transform": "AWS::Serverless-2016-10-31",
            "Resources": {
                "Queue": {"Type": "AWS::SQS::Queue"},
                "InlineFunction": {
                    "Type": "AWS::Serverless::Function",
                    "Properties": {
                        "Runtime": runtime,
                        "Handler": "index.handler",
                        "InlineCode": code,
                    },
                },
            },
            "Outputs": {"FunctionName": {"Value": {"Ref": "InlineFunction"}}},
        }
    )


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    local = LocalCloud(
        CloudOptions(
            template=TEMPLATE,
            stack_name="stack-deployments",
            region=REGION,
            with_proxy=False,
            prewarm=False,
            state_dir=tmp_path_factory.mktemp("state"),
        )
    )
    local.start()
    yield local
    local.stop()


def _client(cloud: LocalCloud, service: str) -> Any:
    return boto3.client(service, endpoint_url=cloud.endpoint_url, region_name=REGION)


def _outputs(cfn: Any, stack_name: str) -> dict[str, str]:
    stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def _invoke(lambda_client: Any, name: str) -> Any:
    return json.loads(lambda_client.invoke(FunctionName=name)["Payload"].read())


def test_create_stack_runs_its_function_and_delete_stack_removes_it(cloud: LocalCloud) -> None:
    cfn, lambda_client = _client(cloud, "cloudformation"), _client(cloud, "lambda")
    code = "def handler(event, context):\n    return {'inline': True}\n"
    with pytest.raises(cfn.exceptions.InsufficientCapabilitiesException, match="AUTO_EXPAND"):
        cfn.create_stack(StackName="direct", TemplateBody=_sam_template(code=code))
    cfn.create_stack(
        StackName="direct", TemplateBody=_sam_template(code=code), Capabilities=CAPABILITIES
    )
    assert cfn.describe_stacks(StackName="direct")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    name = _outputs(cfn, "direct")["FunctionName"]
    assert _invoke(lambda_client, name) == {"inline": True}
    body = cfn.get_template(StackName="direct", TemplateStage="Original")["TemplateBody"]
    assert body == json.loads(_sam_template(code=code))  # boto3 parses the JSON it returns

    with pytest.raises(ClientError, match="No updates are to be performed"):
        cfn.update_stack(
            StackName="direct", TemplateBody=_sam_template(code=code), Capabilities=CAPABILITIES
        )

    cfn.delete_stack(StackName="direct")
    with pytest.raises(ClientError, match="does not exist"):
        cfn.describe_stacks(StackName="direct")
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.invoke(FunctionName=name)
    assert cloud.invoker is not None and name not in cloud.invoker.functions


def test_a_change_set_for_a_function_that_cannot_run_here_fails_and_creates_nothing(
    cloud: LocalCloud,
) -> None:
    cfn, lambda_client = _client(cloud, "cloudformation"), _client(cloud, "lambda")
    before = {f["FunctionName"] for f in lambda_client.list_functions()["Functions"]}
    created = cfn.create_change_set(
        StackName="node",
        ChangeSetName="first",
        ChangeSetType="CREATE",
        TemplateBody=_sam_template(runtime="nodejs20.x"),
        Capabilities=CAPABILITIES,
    )
    change_set = cfn.describe_change_set(ChangeSetName=created["Id"])
    assert change_set["Status"] == "FAILED"
    assert "Python functions from zip code only" in change_set["StatusReason"]
    assert "InlineFunction (Runtime nodejs20.x)" in change_set["StatusReason"]
    # As CloudFormation leaves it: a stack waiting for a change set, with nothing in it.
    stack = cfn.describe_stacks(StackName="node")["Stacks"][0]
    assert (stack["StackId"], stack["StackStatus"]) == (created["StackId"], "REVIEW_IN_PROGRESS")
    assert cfn.list_stack_resources(StackName="node")["StackResourceSummaries"] == []
    assert {f["FunctionName"] for f in lambda_client.list_functions()["Functions"]} == before
    with pytest.raises(ClientError, match="InvalidChangeSetStatus"):
        cfn.execute_change_set(ChangeSetName=created["Id"])
    cfn.delete_stack(StackName="node")


def test_a_nested_stack_is_refused_naming_it(cloud: LocalCloud) -> None:
    cfn = _client(cloud, "cloudformation")
    template = json.loads(_sam_template())
    template["Resources"]["AwsSamAutoDependencyLayerNestedStack"] = {
        "Type": "AWS::CloudFormation::Stack",
        "Properties": {"TemplateURL": "https://s3.amazonaws.com/bucket/nested.template"},
    }
    with pytest.raises(ClientError, match=r"no nested stacks.*--no-dependency-layer"):
        cfn.create_stack(
            StackName="nested", TemplateBody=json.dumps(template), Capabilities=CAPABILITIES
        )
    with pytest.raises(ClientError, match="does not exist"):
        cfn.describe_stacks(StackName="nested")


def _zip(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("probe/__init__.py", "")
        archive.writestr("probe/handlers.py", source)
    return buffer.getvalue()


def test_update_function_code_of_a_function_up_deployed_runs_the_zip(cloud: LocalCloud) -> None:
    cfn, lambda_client = _client(cloud, "cloudformation"), _client(cloud, "lambda")
    name = _outputs(cfn, "stack-deployments")["ProbeFunctionName"]
    assert "event" in _invoke(lambda_client, name)  # the probe, from its folder
    source = "def lambda_handler(event, context):\n    return 'from the zip'\n"
    answer = lambda_client.update_function_code(FunctionName=name, ZipFile=_zip(source))
    assert answer["CodeSha256"]
    assert _invoke(lambda_client, name) == "from the zip"
    with pytest.raises(ClientError, match="Could not unzip"):
        lambda_client.update_function_code(FunctionName=name, ZipFile=b"not a zip")
    assert _invoke(lambda_client, name) == "from the zip"


def test_a_zip_layer_published_by_arn_reaches_the_function(cloud: LocalCloud) -> None:
    """sam sync --code's calls for a changed layer: versions listed and published by the
    layer's ARN (moto takes names only), then the function's Layers set with the official
    Powertools layer kept (moto holds no such layer)."""
    lambda_client = _client(cloud, "lambda")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("python/layer_word.py", "WORD = 'from the layer'\n")
    first = lambda_client.publish_layer_version(
        LayerName="words", Content={"ZipFile": buffer.getvalue()}
    )
    layer_arn = first["LayerArn"]
    listed = lambda_client.list_layer_versions(LayerName=layer_arn)["LayerVersions"]
    assert [v["Version"] for v in listed] == [first["Version"]]
    second = lambda_client.publish_layer_version(
        LayerName=layer_arn, Content={"ZipFile": buffer.getvalue()}
    )
    assert second["LayerArn"] == layer_arn and second["Version"] == first["Version"] + 1

    cfn = _client(cloud, "cloudformation")
    code = "from layer_word import WORD\ndef handler(e, c):\n    return WORD\n"
    cfn.create_stack(
        StackName="layered", TemplateBody=_sam_template(code=code), Capabilities=CAPABILITIES
    )
    try:
        name = _outputs(cfn, "layered")["FunctionName"]
        layers = [POWERTOOLS, second["LayerVersionArn"]]
        config = lambda_client.update_function_configuration(FunctionName=name, Layers=layers)
        assert [layer["Arn"] for layer in config["Layers"]] == layers
        assert _invoke(lambda_client, name) == "from the layer"
    finally:
        cfn.delete_stack(StackName="layered")


def test_an_update_that_changes_only_a_tables_metadata_is_applied(cloud: LocalCloud) -> None:
    """SAM CLI adds ``Metadata: SamResourceId`` to every resource it packages: a redeploy of
    a stack ``up`` deployed changes every resource's Metadata, which changes no resource."""
    cfn, lambda_client = _client(cloud, "cloudformation"), _client(cloud, "lambda")
    template = json.loads(_sam_template(code="def handler(e, c):\n    return 'first'\n"))
    template["Resources"]["Table"] = {
        "Type": "AWS::DynamoDB::Table",
        "Properties": {
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
        },
    }
    cfn.create_stack(
        StackName="metadata", TemplateBody=json.dumps(template), Capabilities=CAPABILITIES
    )
    try:
        template["Resources"]["Table"]["Metadata"] = {"SamResourceId": "Table"}
        template["Resources"]["InlineFunction"]["Properties"]["InlineCode"] = (
            "def handler(e, c):\n    return 'second'\n"
        )
        cfn.update_stack(
            StackName="metadata", TemplateBody=json.dumps(template), Capabilities=CAPABILITIES
        )
        stack = cfn.describe_stacks(StackName="metadata")["Stacks"][0]
        assert stack["StackStatus"] == "UPDATE_COMPLETE"
        assert _invoke(lambda_client, _outputs(cfn, "metadata")["FunctionName"]) == "second"
        resources = cfn.list_stack_resources(StackName="metadata")["StackResourceSummaries"]
        table = next(r for r in resources if r["LogicalResourceId"] == "Table")
        dynamodb = _client(cloud, "dynamodb")
        assert dynamodb.describe_table(TableName=table["PhysicalResourceId"])["Table"]
    finally:
        cfn.delete_stack(StackName="metadata")
