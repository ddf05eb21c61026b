"""SAM CLI against the deployed stack, from the project's folder (its samconfig.toml applies)."""

from __future__ import annotations

import json

import pytest
from tests.conformance.runners import SamCli

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
