"""SAM CLI against the deployed stack, from the project's folder (its samconfig.toml applies);
and SAM CLI deploying a second project into the running cloud (``sam deploy``, ``sam sync``)."""

from __future__ import annotations

import contextlib
import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from tests.conformance.runners import REFUSED_READ_EVENT, AwsCli, Completed, SamCli, request_id_of
from tests.esm.esm_support import wait_until

CLIENT = "SAM CLI"


def _json_document(done: Completed, opener: str = "[") -> Any:
    """The JSON document SAM CLI printed (it may log feature-toggle lines on stdout first)."""
    return json.loads(done.stdout[done.stdout.index(opener) :])


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
    physical = {row["LogicalResourceId"]: row["PhysicalResourceId"] for row in _json_document(done)}
    assert physical["RecordProcessorFunction"] == outputs["RecordProcessorFunctionName"]
    assert physical["ProcessedRecordsTable"] == outputs["ProcessedRecordsTableName"]


@pytest.mark.conformance(client=CLIENT, operation="sam list endpoints: the API's URL answers")
def test_list_endpoints_gives_the_deployed_api_url(
    sam: SamCli, outputs: dict[str, str], signed_requests_via_proxy: requests.Session
) -> None:
    done = sam("list", "endpoints", "--stack-name", "conformance", "--output", "json")
    assert done.returncode == 0, str(done)
    rows = {row["LogicalResourceId"]: row for row in _json_document(done)}
    api = rows["InboxOutboxApi"]
    # SAM CLI builds the URL from the API's id and its stages: the stack output's URL.
    assert api["CloudEndpoint"] == [outputs["InboxOutboxApiUrl"]]
    assert api["PhysicalResourceId"] == outputs["InboxOutboxApiUrl"].split("//")[1].split(".")[0]
    assert {"/inbox['post']", "/outbox['get']", "/outbox/acks['post']"} <= set(api["Methods"])
    # No function has a function URL: Cloud Control's GetResource of its AWS::Lambda::Url is
    # ResourceNotFoundException, which SAM CLI shows as "-".
    function = rows["CheckOutputQueueFunction"]
    assert function["PhysicalResourceId"] == outputs["CheckOutputQueueFunctionName"]
    assert function["CloudEndpoint"] == "-"
    # The listed URL answers, as on AWS (here through the proxy mode): the API's own request
    # validator refuses a message without an id, so nothing is queued.
    answer = signed_requests_via_proxy.post(
        f"{api['CloudEndpoint'][0]}/inbox", json={"message": "no id"}, timeout=30
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["message"] == "Invalid request body"


@pytest.mark.conformance(client=CLIENT, operation="sam remote invoke (API event of events/)")
def test_remote_invoke_runs_the_deployed_function(sam: SamCli) -> None:
    event = "events/inbox_outbox/apigw-get-outbox.json"
    done = sam(
        "remote", "invoke", "--stack-name", "conformance", "CheckOutputQueueFunction",
        "--event-file", event,
    )  # fmt: skip
    assert done.returncode == 0, str(done)
    # stdout is the function's response; its log tail (START ... REPORT) goes to stderr.
    response = json.loads(done.stdout)
    assert response["statusCode"] == 200, str(done)
    assert set(json.loads(response["body"])) >= {"messages", "count", "more"}
    assert "START RequestId" in done.stderr
    assert "REPORT RequestId" in done.stderr


@pytest.mark.conformance(client=CLIENT, operation="sam logs (the function's log group)")
def test_sam_logs_shows_an_invoke(sam: SamCli, aws: AwsCli, outputs: dict[str, str]) -> None:
    invoked = aws(
        "lambda", "invoke", "--function-name", outputs["CheckOutputQueueFunctionName"],
        "--payload", f"fileb://{REFUSED_READ_EVENT}", "--log-type", "Tail", "/dev/null",
    )  # fmt: skip
    assert invoked.returncode == 0, str(invoked)
    request_id = request_id_of(invoked.json()["LogResult"])
    printed: list[str] = []

    def shown() -> bool:
        done = sam("logs", "--stack-name", "conformance", "--name", "CheckOutputQueueFunction")
        assert done.returncode == 0, str(done)
        printed[:] = [done.stdout]
        return f"REPORT RequestId: {request_id}" in done.stdout

    wait_until(shown, 60, "the invoke's REPORT line in sam logs")
    assert f"START RequestId: {request_id}" in printed[0]


def _test_event(sam: SamCli, action: str, *options: str) -> Completed:
    return sam(
        "remote", "test-event", action, "--stack-name", "conformance",
        "CheckOutputQueueFunction", *options,
    )  # fmt: skip


@pytest.fixture(scope="module")
def saved_test_event(sam: SamCli) -> str:
    """The name of a test event saved for CheckOutputQueueFunction by ``sam remote test-event
    put`` (REFUSED_READ_EVENT: the function's answer tells it from any other)."""
    name = f"refused-read-{uuid.uuid4().hex[:8]}"
    put = _test_event(sam, "put", "--name", name, "--file", str(REFUSED_READ_EVENT))
    assert put.returncode == 0, str(put)
    return name


@pytest.mark.conformance(client=CLIENT, operation="sam remote test-event put / list")
def test_a_put_test_event_is_listed(sam: SamCli, saved_test_event: str) -> None:
    listed = _test_event(sam, "list")
    assert listed.returncode == 0, str(listed)
    assert saved_test_event in listed.stdout.split()


@pytest.mark.conformance(client=CLIENT, operation="sam remote test-event get")
def test_get_prints_the_saved_test_event(sam: SamCli, saved_test_event: str) -> None:
    got = _test_event(sam, "get", "--name", saved_test_event)
    assert got.returncode == 0, str(got)
    assert _json_document(got, "{") == json.loads(REFUSED_READ_EVENT.read_text())


@pytest.mark.conformance(client=CLIENT, operation="sam remote invoke --test-event-name")
def test_remote_invoke_sends_the_saved_test_event(sam: SamCli, saved_test_event: str) -> None:
    done = sam(
        "remote", "invoke", "--stack-name", "conformance", "CheckOutputQueueFunction",
        "--test-event-name", saved_test_event,
    )  # fmt: skip
    assert done.returncode == 0, str(done)
    response = json.loads(done.stdout)
    assert response["statusCode"] == 400, str(done)
    assert "'max' must be an integer from 1 to 10" in response["body"]


@pytest.mark.conformance(client=CLIENT, operation="sam remote test-event delete")
def test_a_deleted_test_event_is_gone(sam: SamCli, saved_test_event: str, tmp_path: Path) -> None:
    name = f"to-delete-{uuid.uuid4().hex[:8]}"
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"resource": "/outbox", "note": name}))
    put = _test_event(sam, "put", "--name", name, "--file", str(event))
    assert put.returncode == 0, str(put)

    deleted = _test_event(sam, "delete", "--name", name)
    assert deleted.returncode == 0, str(deleted)
    listed = _test_event(sam, "list")
    assert listed.returncode == 0, str(listed)
    assert name not in listed.stdout.split()
    assert saved_test_event in listed.stdout.split()  # the function's other event stays


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
    client=CLIENT, operation="sam sync (infrastructure): the changed function runs next invoke"
)
def test_sync_deploys_the_changed_stack(
    first_deploy: Completed, sam_in_project: SamCli, project: Path, aws_clients: dict[str, Any]
) -> None:
    assert first_deploy.returncode == 0, str(first_deploy)
    version = _invoke(aws_clients)["version"]
    _rewrite(project / "src/hello/app.py", f'VERSION = "{version}"', 'VERSION = "infra"')
    # Without --code: SAM CLI builds and deploys the whole template through a change set.
    done = sam_in_project("sync", "--config-env", "local", answer="Y\n")
    assert done.returncode == 0, str(done)
    assert _stack(aws_clients)["StackStatus"] == "UPDATE_COMPLETE"
    assert _invoke(aws_clients)["version"] == "infra"


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
