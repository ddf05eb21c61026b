"""deploy_stack on the real template.yaml against a moto server: outputs, specs, conditions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from localcloud.deploy.deployer import deploy_stack
from localcloud.deploy.template_loader import load_template
from localcloud.server import LocalCloudServer
from localcloud.specs import DeployedStack, EventSourceMappingSpec

REPO_ROOT = Path(__file__).resolve().parents[2]

TEMPLATE = REPO_ROOT / "template.yaml"


def _client(service: str, server: LocalCloudServer) -> Any:
    return boto3.client(service, endpoint_url=server.url, region_name="us-east-1")  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def stack(local_server: LocalCloudServer) -> DeployedStack:
    # samconfig.toml's [local] section sets DeployTestResources=true.
    return deploy_stack(TEMPLATE, "deploy-test", endpoint_url=local_server.url, region="us-east-1")


@pytest.fixture(scope="module")
def prod_like_stack(local_server: LocalCloudServer) -> DeployedStack:
    return deploy_stack(
        TEMPLATE,
        "deploy-test-prod",
        endpoint_url=local_server.url,
        region="us-east-1",
        parameter_overrides=["DeployTestResources=false", "ApiStageName=prod"],
    )


def _mapping(stack: DeployedStack, function_logical_id: str) -> EventSourceMappingSpec:
    names = {spec.function_name: spec.logical_id for spec in stack.functions.values()}
    [mapping] = [
        m for m in stack.event_source_mappings if names[m.function_name] == function_logical_id
    ]
    return mapping


def test_outputs_are_exactly_the_templates(
    stack: DeployedStack, local_server: LocalCloudServer
) -> None:
    declared = set(load_template(TEMPLATE)["Outputs"])
    described = _client("cloudformation", local_server).describe_stacks(StackName="deploy-test")
    seen = {o["OutputKey"] for o in described["Stacks"][0]["Outputs"]}

    assert set(stack.outputs) == declared
    assert seen == declared


def test_kinesis_mapping_is_resolved(stack: DeployedStack, local_server: LocalCloudServer) -> None:
    mapping = _mapping(stack, "RecordProcessorFunction")
    failure_queue_arn = _client("sqs", local_server).get_queue_attributes(
        QueueUrl=stack.outputs["RecordProcessorFailureQueueUrl"], AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]

    assert mapping.source == "kinesis"
    assert mapping.event_source_arn == stack.outputs["RecordsStreamArn"]
    assert mapping.function_name == stack.outputs["RecordProcessorFunctionName"]
    assert mapping.batch_size == 1000
    assert mapping.maximum_batching_window_s == 1
    assert mapping.starting_position == "TRIM_HORIZON"
    assert mapping.bisect_batch_on_function_error is True
    assert mapping.maximum_retry_attempts == 5
    assert mapping.maximum_record_age_s == 3600
    assert mapping.report_batch_item_failures is True
    assert mapping.on_failure_destination_arn == failure_queue_arn


def test_listener_mapping_keeps_its_filter(stack: DeployedStack) -> None:
    mapping = _mapping(stack, "ListenerFunction")

    assert mapping.source == "dynamodb"
    assert "/stream/" in mapping.event_source_arn
    assert [json.loads(p) for p in mapping.filter_patterns] == [{"eventName": ["INSERT", "MODIFY"]}]
    assert (mapping.batch_size, mapping.maximum_retry_attempts) == (1000, 3)


def test_sqs_mapping_has_scaling_config(stack: DeployedStack) -> None:
    mapping = _mapping(stack, "ProcessInputQueueFunction")

    assert mapping.source == "sqs"
    assert (mapping.batch_size, mapping.maximum_concurrency) == (10, 10)
    assert mapping.report_batch_item_failures is True


def test_moto_runs_no_event_source_mapping(
    stack: DeployedStack, local_server: LocalCloudServer
) -> None:
    # moto's own ESMs would consume SQS messages and stream records destructively: the mapping
    # API never reaches moto (a server without the pollers refuses it; test_esm_api has them).
    assert stack.event_source_mappings
    with pytest.raises(ClientError) as refused:
        _client("lambda", local_server).list_event_source_mappings()
    assert refused.value.response["Error"]["Code"] == "ServiceException"
    assert "not running" in refused.value.response["Error"]["Message"]


def test_function_specs_carry_resolved_environment(stack: DeployedStack) -> None:
    spec = stack.functions[stack.outputs["RecordProcessorFunctionName"]]

    assert spec.logical_id == "RecordProcessorFunction"
    assert spec.handler == "record_stream.handlers.process_records.lambda_handler"
    assert spec.code_dir == REPO_ROOT / "src" / "record_stream"
    assert (spec.timeout_s, spec.memory_mb) == (60, 256)
    assert spec.environment["PROCESSED_TABLE_NAME"] == stack.outputs["ProcessedRecordsTableName"]
    assert spec.environment["POWERTOOLS_LOG_LEVEL"] == "INFO"


def test_environment_values_are_strings_as_cloudformation_makes_them(
    stack: DeployedStack,
) -> None:
    # A Ref to a Number parameter is a string in CloudFormation ("5"); moto resolves it to 5.
    process_input = next(
        s for s in stack.functions.values() if s.logical_id == "ProcessInputQueueFunction"
    )

    assert process_input.environment["RETRY_BACKOFF_BASE_SECONDS"] == "5"
    assert all(
        isinstance(value, str)
        for spec in stack.functions.values()
        for value in spec.environment.values()
    )


def test_rest_api_is_imported_with_its_stage(
    stack: DeployedStack, local_server: LocalCloudServer
) -> None:
    [api] = stack.rest_apis
    apigw = _client("apigateway", local_server)
    paths = {r["path"] for r in apigw.get_resources(restApiId=api.rest_api_id)["items"]}

    assert api.stage_name == "v1"
    assert stack.outputs["InboxOutboxApiUrl"].startswith(f"https://{api.rest_api_id}.execute-api.")
    assert {"/inbox", "/outbox"} <= paths
    assert {"/inbox", "/outbox"} <= set(api.definition["paths"])
    assert "InboxMessage" in api.definition["components"]["schemas"]
    stages = apigw.get_stages(restApiId=api.rest_api_id)["item"]
    assert [s["stageName"] for s in stages] == ["v1"]


def test_conditions_are_honoured(prod_like_stack: DeployedStack) -> None:
    logical_ids = {spec.logical_id for spec in prod_like_stack.functions.values()}
    process_input = next(
        s for s in prod_like_stack.functions.values() if s.logical_id == "ProcessInputQueueFunction"
    )

    assert "ListenerTableName" not in prod_like_stack.outputs
    assert "ListenerFunctionName" not in prod_like_stack.outputs
    assert "ListenerFunction" not in logical_ids
    assert len(prod_like_stack.event_source_mappings) == 2
    assert process_input.environment["POISON_MESSAGE_TYPE"] == ""
    assert prod_like_stack.rest_apis[0].stage_name == "prod"
    assert prod_like_stack.outputs["InboxOutboxApiUrl"].endswith("/prod")


def test_code_is_packaged_into_moto_s3(
    stack: DeployedStack, local_server: LocalCloudServer
) -> None:
    keys = [
        o["Key"]
        for o in _client("s3", local_server).list_objects_v2(
            Bucket="localcloud-artifacts-deploy-test"
        )["Contents"]
    ]
    assert sorted(k.split("-")[0] for k in keys) == [
        "inbox_outbox",
        "observability_layer",
        "record_stream",
    ]


def test_unknown_parameter_is_refused(local_server: LocalCloudServer, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="NoSuchParameter"):
        deploy_stack(
            TEMPLATE,
            "deploy-test-bad",
            endpoint_url=local_server.url,
            region="us-east-1",
            parameter_overrides="NoSuchParameter=1",
        )


def test_every_function_imports_the_observability_layer_from_its_content_uri(
    stack: DeployedStack, local_server: LocalCloudServer
) -> None:
    layer_dir = (REPO_ROOT / "src" / "observability_layer").resolve()
    assert {spec.logical_id: spec.layer_dirs for spec in stack.functions.values()} == {
        logical_id: (layer_dir,)
        for logical_id in (
            "RecordProcessorFunction",
            "ListenerFunction",
            "ProcessInputQueueFunction",
            "CheckOutputQueueFunction",
        )
    }
    # The layer itself is created in moto from the uploaded ContentUri zip, as sam deploy would.
    layers = _client("lambda", local_server).list_layers()["Layers"]
    assert any("ObservabilityLayer" in layer["LayerName"] for layer in layers), layers


def test_the_powertools_layer_parameter_is_resolved_offline(
    stack: DeployedStack, local_server: LocalCloudServer
) -> None:
    described = _client("cloudformation", local_server).describe_stacks(StackName="deploy-test")
    values = {p["ParameterKey"]: p["ParameterValue"] for p in described["Stacks"][0]["Parameters"]}
    assert values["PowertoolsLayerArn"] == (
        "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:0"
    )


@pytest.mark.parametrize(("policy", "kept"), [("Retain", True), ("Delete", False)])
def test_deleting_the_stack_keeps_its_data_only_when_retained(
    local_server: LocalCloudServer, policy: str, kept: bool
) -> None:
    name = f"deploy-test-{policy.lower()}"
    deployed = deploy_stack(
        TEMPLATE,
        name,
        endpoint_url=local_server.url,
        region="us-east-1",
        parameter_overrides=[f"StatefulResourcePolicy={policy}"],
    )
    table = deployed.outputs["ProcessedRecordsTableName"]
    queue = deployed.outputs["InputQueueDLQUrl"].rsplit("/", 1)[-1]

    _client("cloudformation", local_server).delete_stack(StackName=name)

    queues = _client("sqs", local_server).list_queues().get("QueueUrls", [])
    assert (table in _client("dynamodb", local_server).list_tables()["TableNames"]) is kept
    assert (queue in {url.rsplit("/", 1)[-1] for url in queues}) is kept


def test_function_configuration_is_what_the_template_declares(
    stack: DeployedStack, local_server: LocalCloudServer
) -> None:
    lambda_client = _client("lambda", local_server)
    for name in stack.functions:
        configuration = lambda_client.get_function_configuration(FunctionName=name)
        # moto alone reports x86_64, PassThrough and no layers (its CloudFormation drops them).
        assert configuration["Architectures"] == ["arm64"], name
        assert configuration["TracingConfig"] == {"Mode": "Active"}, name
        layers = [layer["Arn"] for layer in configuration["Layers"]]
        assert len(layers) == 2, name
        assert ":017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:" in layers[0]
        assert ":layer:deploy-test-ObservabilityLayer" in layers[1]
    listed = lambda_client.list_functions()["Functions"]
    assert {f["Architectures"][0] for f in listed if f["FunctionName"] in stack.functions} == {
        "arm64"
    }


def test_stack_events_have_a_pair_per_resource_mappings_included(
    stack: DeployedStack, local_server: LocalCloudServer
) -> None:
    cfn = _client("cloudformation", local_server)
    events = cfn.describe_stack_events(StackName="deploy-test")["StackEvents"][::-1]
    completed = {
        e["LogicalResourceId"]: e["PhysicalResourceId"]
        for e in events
        if e["ResourceStatus"] == "CREATE_COMPLETE"
    }
    mappings = {m.logical_id: m.uuid for m in stack.event_source_mapping_resources}
    assert len(mappings) == 3
    assert mappings.items() <= completed.items()
    resources = cfn.list_stack_resources(StackName="deploy-test")["StackResourceSummaries"]
    assert {r["LogicalResourceId"] for r in resources} | set(mappings) | {"deploy-test"} == set(
        completed
    )
    assert [e["LogicalResourceId"] for e in events].count("RecordsStream") == 2
    assert events[0]["ResourceStatus"] == "CREATE_IN_PROGRESS"
    assert (events[-1]["LogicalResourceId"], events[-1]["ResourceStatus"]) == (
        "deploy-test",
        "CREATE_COMPLETE",
    )
