"""SAM CLI against the deployed stack, from the project's folder (its samconfig.toml applies);
and SAM CLI deploying a second project into the running cloud (``sam deploy``, ``sam sync``)."""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from tests.conformance.runners import Completed, SamCli

CLIENT = "SAM CLI"


@pytest.mark.conformance(client=CLIENT, operation="sam list stack-outputs")
def test_list_stack_outputs(sam: SamCli, outputs: dict[str, str]) -> None:
    done = sam("list", "stack-outputs", "--stack-name", "conformance", "--output", "json")
    assert done.returncode == 0, str(done)
    listed = {row["OutputKey"]: row["OutputValue"] for row in done.json()}
    assert listed == outputs


@pytest.mark.conformance(client=CLIENT, operation="sam list resources (deployed ids)")
def test_list_resources_gives_the_physical_ids(sam: SamCli, outputs: dict[str, str]) -> None:
    done = sam("list", "resources", "--stack-name", "conformance", "--output", "json")
    assert done.returncode == 0, str(done)
    # SAM CLI logs feature-toggle lines on stdout before the JSON document.
    document = done.stdout[done.stdout.index("[") :]
    physical = {row["LogicalResourceId"]: row["PhysicalResourceId"] for row in json.loads(document)}
    assert physical["RecordProcessorFunction"] == outputs["RecordProcessorFunctionName"]
    assert physical["ProcessedRecordsTable"] == outputs["ProcessedRecordsTableName"]


@pytest.mark.conformance(client=CLIENT, operation="sam remote invoke (API event of events/)")
def test_remote_invoke_runs_the_deployed_function(sam: SamCli) -> None:
    event = "events/inbox_outbox/apigw-get-outbox.json"
    done = sam(
        "remote", "invoke", "--stack-name", "conformance", "CheckOutputQueueFunction",
        "--event-file", event,
    )  # fmt: skip
    assert done.returncode == 0, str(done)
    # stdout is the function's response; its log tail (START ... END) goes to stderr.
    response = json.loads(done.stdout)
    assert response["statusCode"] == 200, str(done)
    assert set(json.loads(response["body"])) >= {"messages", "count", "more"}
    assert "START RequestId" in done.stderr


# ---------------------------------------------------------------- sam deploy / sam sync
# A second project deployed into the running cloud with SAM CLI, from a copy of
# tests/projects/deployable (its samconfig.toml's [local] environment: stack "deployable",
# resolve_s3, no confirmation). SAM CLI polls the stack's events every SAM_CLI_POLL_DELAY seconds
# (5 by default); the local cloud has deployed by the time it answers, so the suite polls every
# 0.5 s, as the README suggests, to stay fast. The module's last step deletes the stack again.

DEPLOYABLE = Path(__file__).resolve().parents[1] / "projects" / "deployable"
DEPLOYED = "deployable"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("deployable") / "deployable"
    shutil.copytree(DEPLOYABLE, copy, ignore=shutil.ignore_patterns(".aws-sam", "__pycache__"))
    return copy


@pytest.fixture(scope="module")
def sam_in_project(user_env: dict[str, str], project: Path) -> SamCli:
    return SamCli({**user_env, "SAM_CLI_POLL_DELAY": "0.5"}, project)


@pytest.fixture(scope="module")
def aws_clients(user_env: dict[str, str]) -> dict[str, Any]:
    """boto3 with the exported settings: how the cases look at what SAM CLI deployed."""
    session = boto3.Session(
        aws_access_key_id=user_env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=user_env["AWS_SECRET_ACCESS_KEY"],
        region_name=user_env["AWS_REGION"],
    )
    endpoint = user_env["AWS_ENDPOINT_URL"]
    return {
        service: session.client(service, endpoint_url=endpoint)
        for service in ("cloudformation", "lambda", "dynamodb")
    }


@pytest.fixture(scope="module")
def first_deploy(sam_in_project: SamCli, aws_clients: dict[str, Any]) -> Iterator[Completed]:
    done = sam_in_project("deploy", "--config-env", "local")
    yield done
    with contextlib.suppress(Exception):  # the shared cloud serves one API again
        aws_clients["cloudformation"].delete_stack(StackName=DEPLOYED)


def _stack(aws_clients: dict[str, Any]) -> dict[str, Any]:
    stack: dict[str, Any] = aws_clients["cloudformation"].describe_stacks(StackName=DEPLOYED)[
        "Stacks"
    ][0]
    return stack


def _deployed_outputs(aws_clients: dict[str, Any]) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in _stack(aws_clients).get("Outputs", [])}


def _invoke(aws_clients: dict[str, Any]) -> dict[str, Any]:
    function = _deployed_outputs(aws_clients)["HelloFunctionName"]
    answer = aws_clients["lambda"].invoke(FunctionName=function)
    assert "FunctionError" not in answer, answer["Payload"].read()
    body: dict[str, Any] = json.loads(json.loads(answer["Payload"].read())["body"])
    return body


def _route(signed_requests: requests.Session, user_env: dict[str, str], api_url: str) -> Any:
    api_id = api_url.split("//", 1)[1].split(".", 1)[0]
    front = user_env["LOCALCLOUD_API_FRONT"]
    answer = signed_requests.get(f"{front}/restapis/{api_id}/v1/_user_request_/hello", timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _rewrite(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new))


@pytest.mark.conformance(
    client=CLIENT, operation="sam deploy: a second stack, whole (function, layer, route, mapping)"
)
def test_deploy_creates_the_whole_stack(
    first_deploy: Completed,
    aws_clients: dict[str, Any],
    signed_requests: requests.Session,
    user_env: dict[str, str],
) -> None:
    assert first_deploy.returncode == 0, str(first_deploy)
    assert _stack(aws_clients)["StackStatus"] == "CREATE_COMPLETE"
    outputs = _deployed_outputs(aws_clients)
    assert set(outputs) == {"HelloFunctionName", "ApiUrl", "JobsQueueUrl", "NotesTableName"}
    for value in outputs.values():  # what sam deploy printed at the end
        assert value in first_deploy.stdout, str(first_deploy)
    resources = aws_clients["cloudformation"].list_stack_resources(StackName=DEPLOYED)
    types = {
        r["ResourceType"]: r["PhysicalResourceId"] for r in resources["StackResourceSummaries"]
    }
    assert set(types) >= {
        "AWS::Lambda::Function", "AWS::Lambda::LayerVersion", "AWS::Lambda::Permission",
        "AWS::Lambda::EventSourceMapping", "AWS::SQS::Queue", "AWS::DynamoDB::Table",
        "AWS::ApiGateway::RestApi", "AWS::IAM::Role",
    }  # fmt: skip
    assert types["AWS::Lambda::LayerVersion"].startswith("arn:aws:lambda:")
    # The function runs, with its layer; its route answers through the API front.
    assert _invoke(aws_clients) == {"version": "v1", "word": "one"}
    assert _route(signed_requests, user_env, outputs["ApiUrl"]) == {"version": "v1", "word": "one"}
    mappings = aws_clients["lambda"].list_event_source_mappings(
        FunctionName=outputs["HelloFunctionName"]
    )["EventSourceMappings"]
    assert [m["UUID"] for m in mappings] == [types["AWS::Lambda::EventSourceMapping"]]
    assert mappings[0]["State"] == "Enabled"
    assert mappings[0]["EventSourceArn"].endswith(outputs["JobsQueueUrl"].rsplit("/", 1)[1])


@pytest.mark.conformance(
    client=CLIENT, operation="sam deploy again: the changed function runs on the next invoke"
)
def test_redeploy_runs_the_changed_function(
    first_deploy: Completed,
    sam_in_project: SamCli,
    project: Path,
    aws_clients: dict[str, Any],
    signed_requests: requests.Session,
    user_env: dict[str, str],
) -> None:
    assert first_deploy.returncode == 0, str(first_deploy)
    before = _deployed_outputs(aws_clients)
    _rewrite(project / "src/hello/app.py", 'VERSION = "v1"', 'VERSION = "v2"')
    done = sam_in_project("deploy", "--config-env", "local")
    assert done.returncode == 0, str(done)
    assert "Modify" in done.stdout and "HelloFunction" in done.stdout, str(done)
    assert _stack(aws_clients)["StackStatus"] == "UPDATE_COMPLETE"
    assert _deployed_outputs(aws_clients) == before  # updated in place: same names, same table
    assert _invoke(aws_clients) == {"version": "v2", "word": "one"}
    assert _route(signed_requests, user_env, before["ApiUrl"])["version"] == "v2"


@pytest.mark.conformance(
    client=CLIENT, operation="sam sync --code: changed function and layer run on the next invoke"
)
def test_sync_code_runs_the_changed_code(
    first_deploy: Completed, sam_in_project: SamCli, project: Path, aws_clients: dict[str, Any]
) -> None:
    assert first_deploy.returncode == 0, str(first_deploy)
    version = _invoke(aws_clients)["version"]
    _rewrite(project / "src/hello/app.py", f'VERSION = "{version}"', 'VERSION = "synced"')
    _rewrite(project / "layer/python/words/__init__.py", 'WORD = "one"', 'WORD = "two"')
    # samconfig's [local.sync.parameters]: no watch, no dependency layer; "Y": a development stack
    done = sam_in_project("sync", "--config-env", "local", "--code", answer="Y\n")
    assert done.returncode == 0, str(done)
    assert "Finished syncing Layer Words" in done.stdout + done.stderr, str(done)
    assert _invoke(aws_clients) == {"version": "synced", "word": "two"}


@pytest.mark.conformance(
    client=CLIENT, operation="sam deploy refused (a table moto cannot update): nothing changes"
)
def test_deploy_the_cloud_cannot_apply_is_refused_whole(
    first_deploy: Completed, sam_in_project: SamCli, project: Path, aws_clients: dict[str, Any]
) -> None:
    assert first_deploy.returncode == 0, str(first_deploy)
    running = _invoke(aws_clients)
    cfn = aws_clients["cloudformation"]
    events = cfn.describe_stack_events(StackName=DEPLOYED)["StackEvents"]
    # A new function version together with a change to the table (its read capacity).
    _rewrite(project / "src/hello/app.py", f'VERSION = "{running["version"]}"', 'VERSION = "no"')
    done = sam_in_project(
        "deploy", "--config-env", "local", "--parameter-overrides", "NotesReadCapacity=2"
    )
    assert done.returncode == 1, str(done)
    assert "cannot update Notes (AWS::DynamoDB::Table) in place" in done.stderr, str(done)
    assert "Nothing was changed" in done.stderr, str(done)
    # Neither part was applied, and the stack did not move.
    assert _invoke(aws_clients) == running
    assert _stack(aws_clients)["StackStatus"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE")
    assert cfn.describe_stack_events(StackName=DEPLOYED)["StackEvents"] == events
    table_name = _deployed_outputs(aws_clients)["NotesTableName"]
    table = aws_clients["dynamodb"].describe_table(TableName=table_name)["Table"]
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 1
