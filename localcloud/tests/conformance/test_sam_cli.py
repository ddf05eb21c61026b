"""SAM CLI against the deployed stack, from the project's folder (its samconfig.toml applies)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

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
