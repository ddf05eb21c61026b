"""AWS CLI v1 against the local cloud, as its README tells a user to call it."""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.conformance.runners import REFUSED_READ_EVENT, REPO_ROOT, AwsCli, request_id_of
from tests.esm.esm_support import wait_until

CLIENT = "AWS CLI v1"


def _get_item(aws: AwsCli, table: str, pk: str, sk: str) -> dict[str, Any] | None:
    key = json.dumps({"PK": {"S": pk}, "SK": {"S": sk}})
    done = aws("dynamodb", "get-item", "--table-name", table, "--key", key, "--consistent-read")
    assert done.returncode == 0, str(done)
    # CLI v1 prints nothing at all when there is no such item.
    item: dict[str, Any] | None = json.loads(done.stdout or "{}").get("Item")
    return item


@pytest.mark.conformance(client=CLIENT, operation="cloudformation describe-stacks: outputs")
def test_describe_stacks_lists_the_outputs(aws: AwsCli, outputs: dict[str, str]) -> None:
    done = aws("cloudformation", "describe-stacks", "--stack-name", "conformance")
    assert done.returncode == 0, str(done)
    stack = done.json()["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    listed = {output["OutputKey"]: output["OutputValue"] for output in stack["Outputs"]}
    assert listed == outputs
    assert listed["RecordsStreamName"].startswith("conformance-RecordsStream-")


@pytest.mark.conformance(client=CLIENT, operation="kinesis put-record → dynamodb get-item")
def test_a_put_record_is_processed_into_the_table(
    aws: AwsCli, outputs: dict[str, str], tmp_path: Path
) -> None:
    batch = f"cli-{uuid.uuid4().hex[:8]}"
    record = tmp_path / "record.json"
    record.write_text(json.dumps({"batch": batch, "id": "000001"}))
    put = aws(
        "kinesis", "put-record", "--stream-name", outputs["RecordsStreamName"],
        "--partition-key", batch, "--data", f"fileb://{record}",
    )  # fmt: skip
    assert put.returncode == 0, str(put)
    sequence = put.json()["SequenceNumber"]

    table = outputs["ProcessedRecordsTableName"]
    wait_until(lambda: _get_item(aws, table, batch, "000001") is not None, 60, "processed item")
    item = _get_item(aws, table, batch, "000001")
    assert item is not None
    assert item["sequence_number"] == {"S": sequence}
    assert item["shard_id"] == {"S": put.json()["ShardId"]}


@pytest.mark.conformance(client=CLIENT, operation="dynamodb put-item → stream → listener table")
def test_a_put_item_reaches_the_listener_through_the_table_stream(
    aws: AwsCli, outputs: dict[str, str]
) -> None:
    batch = f"cli-{uuid.uuid4().hex[:8]}"
    item = {"PK": {"S": batch}, "SK": {"S": "000001"}, "arrival_ms": {"N": "1"}}
    put = aws(
        "dynamodb", "put-item", "--table-name", outputs["ProcessedRecordsTableName"],
        "--item", json.dumps(item),
    )  # fmt: skip
    assert put.returncode == 0, str(put)
    listener = outputs["ListenerTableName"]
    wait_until(lambda: _get_item(aws, listener, batch, "000001") is not None, 60, "listener item")
    captured = _get_item(aws, listener, batch, "000001")
    assert captured is not None
    assert captured["batch"] == {"S": batch}


def _send_and_receive(aws: AwsCli, queue_url: str) -> None:
    body = f"cli-{uuid.uuid4().hex}"
    sent = aws("sqs", "send-message", "--queue-url", queue_url, "--message-body", body)
    assert sent.returncode == 0, str(sent)

    received: list[dict[str, Any]] = []

    def receive() -> bool:
        done = aws(
            "sqs", "receive-message", "--queue-url", queue_url, "--wait-time-seconds", "1",
            "--max-number-of-messages", "10",
        )  # fmt: skip
        assert done.returncode == 0, str(done)
        received.extend(json.loads(done.stdout or "{}").get("Messages", []))
        return any(m["Body"] == body for m in received)

    wait_until(receive, 30, "the message back")
    ours = next(m for m in received if m["Body"] == body)
    assert ours["MessageId"] == sent.json()["MessageId"]
    deleted = aws(
        "sqs", "delete-message", "--queue-url", queue_url, "--receipt-handle", ours["ReceiptHandle"]
    )
    assert deleted.returncode == 0, str(deleted)


@pytest.mark.conformance(client=CLIENT, operation="sqs send-message / receive-message (output URL)")
def test_sqs_send_and_receive_with_the_queue_url_of_the_outputs(
    aws: AwsCli, outputs: dict[str, str]
) -> None:
    # The failure destination has no consumer, so what is sent stays until received here.
    _send_and_receive(aws, outputs["RecordProcessorFailureQueueUrl"])


@pytest.mark.conformance(client=CLIENT, operation="lambda list-functions")
def test_list_functions_names_the_stacks_functions(aws: AwsCli, outputs: dict[str, str]) -> None:
    done = aws("lambda", "list-functions")
    assert done.returncode == 0, str(done)
    names = {function["FunctionName"] for function in done.json()["Functions"]}
    expected = {value for key, value in outputs.items() if key.endswith("FunctionName")}
    assert expected
    assert expected <= names


@pytest.mark.conformance(client=CLIENT, operation="lambda invoke (API event of events/)")
def test_lambda_invoke_answers_the_api_event(
    aws: AwsCli, outputs: dict[str, str], tmp_path: Path
) -> None:
    answer = tmp_path / "answer.json"
    done = aws(
        "lambda", "invoke", "--function-name", outputs["CheckOutputQueueFunctionName"],
        "--payload", f"fileb://{REPO_ROOT / 'events/inbox_outbox/apigw-get-outbox.json'}",
        "--log-type", "Tail", str(answer),
    )  # fmt: skip
    assert done.returncode == 0, str(done)
    assert done.json()["StatusCode"] == 200
    assert "FunctionError" not in done.json(), answer.read_text()
    response = json.loads(answer.read_text())
    assert response["statusCode"] == 200
    assert set(json.loads(response["body"])) >= {"messages", "count", "more"}


@pytest.mark.conformance(
    client=CLIENT, operation="cloudformation describe-stacks, no --endpoint-url (proxy mode)"
)
def test_describe_stacks_through_the_proxy(aws_via_proxy: AwsCli, outputs: dict[str, str]) -> None:
    done = aws_via_proxy("cloudformation", "describe-stacks", "--stack-name", "conformance")
    assert done.returncode == 0, str(done)
    assert "--endpoint-url" not in done.command
    listed = {o["OutputKey"]: o["OutputValue"] for o in done.json()["Stacks"][0]["Outputs"]}
    assert listed == outputs


@pytest.mark.conformance(
    client=CLIENT, operation="sqs send-message / receive-message, no --endpoint-url (proxy mode)"
)
def test_sqs_through_the_proxy(aws_via_proxy: AwsCli, outputs: dict[str, str]) -> None:
    # CLI v1 sends SQS calls in us-east-1 to queue.amazonaws.com whatever AWS_ENDPOINT_URL says;
    # through the proxy that host is the local cloud's too.
    _send_and_receive(aws_via_proxy, outputs["RecordProcessorFailureQueueUrl"])


def _mappings(aws: AwsCli, *args: str) -> list[dict[str, Any]]:
    done = aws("lambda", "list-event-source-mappings", *args)
    assert done.returncode == 0, str(done)
    found: list[dict[str, Any]] = done.json()["EventSourceMappings"]
    return found


def _mapping_state(aws: AwsCli, mapping_uuid: str) -> str:
    done = aws("lambda", "get-event-source-mapping", "--uuid", mapping_uuid)
    assert done.returncode == 0, str(done)
    return str(done.json()["State"])


def _queue(aws: AwsCli, prefix: str) -> tuple[str, str]:
    created = aws("sqs", "create-queue", "--queue-name", f"{prefix}-{uuid.uuid4().hex[:8]}")
    assert created.returncode == 0, str(created)
    url = created.json()["QueueUrl"]
    attributes = aws(
        "sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names", "QueueArn"
    )
    return url, attributes.json()["Attributes"]["QueueArn"]


def _queue_mapping(
    aws: AwsCli, outputs: dict[str, str], prefix: str, *options: str
) -> tuple[str, dict[str, Any]]:
    """A new queue and a mapping of it to ProcessInputQueueFunction, created with the CLI."""
    url, arn = _queue(aws, prefix)
    created = aws(
        "lambda", "create-event-source-mapping", "--function-name",
        outputs["ProcessInputQueueFunctionName"], "--event-source-arn", arn, *options,
    )  # fmt: skip
    assert created.returncode == 0, str(created)
    mapping: dict[str, Any] = created.json()
    return url, mapping


def _depth(aws: AwsCli, url: str) -> int:
    done = aws(
        "sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names",
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
    )  # fmt: skip
    assert done.returncode == 0, str(done)
    return sum(int(v) for v in done.json()["Attributes"].values())


@pytest.mark.conformance(client=CLIENT, operation="lambda list-event-source-mappings")
def test_list_event_source_mappings_shows_the_stacks_mappings(
    aws: AwsCli, outputs: dict[str, str]
) -> None:
    by_function = {m["FunctionArn"].rsplit(":", 1)[1]: m for m in _mappings(aws)}
    stream = by_function[outputs["RecordProcessorFunctionName"]]
    assert stream["EventSourceArn"] == outputs["RecordsStreamArn"]
    assert stream["State"] == "Enabled"
    assert stream["BatchSize"] == 1000
    assert stream["MaximumBatchingWindowInSeconds"] == 1
    assert stream["StartingPosition"] == "TRIM_HORIZON"
    assert stream["DestinationConfig"]["OnFailure"]["Destination"].endswith(
        outputs["RecordProcessorFailureQueueUrl"].rsplit("/", 1)[1]
    )
    assert stream["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    listener = by_function[outputs["ListenerFunctionName"]]
    assert ":dynamodb:" in listener["EventSourceArn"]
    assert listener["FilterCriteria"]["Filters"][0]["Pattern"]
    inbox = by_function[outputs["ProcessInputQueueFunctionName"]]
    assert inbox["EventSourceArn"].endswith(outputs["InputQueueUrl"].rsplit("/", 1)[1])
    assert inbox["ScalingConfig"] == {"MaximumConcurrency": 10}
    assert len({m["UUID"] for m in by_function.values()}) == len(by_function)

    only = _mappings(aws, "--function-name", outputs["RecordProcessorFunctionName"])
    assert [m["UUID"] for m in only] == [stream["UUID"]]


@pytest.mark.conformance(
    client=CLIENT, operation="lambda get-event-source-mapping: LastProcessingResult"
)
def test_a_stream_mapping_reports_its_last_processing_result(
    aws: AwsCli, outputs: dict[str, str], tmp_path: Path
) -> None:
    (stream,) = _mappings(aws, "--function-name", outputs["RecordProcessorFunctionName"])
    batch = f"cli-result-{uuid.uuid4().hex[:8]}"
    record = tmp_path / "record.json"
    record.write_text(json.dumps({"batch": batch, "id": "000001"}))
    put = aws(
        "kinesis", "put-record", "--stream-name", outputs["RecordsStreamName"],
        "--partition-key", batch, "--data", f"fileb://{record}",
    )  # fmt: skip
    assert put.returncode == 0, str(put)
    table = outputs["ProcessedRecordsTableName"]
    wait_until(lambda: _get_item(aws, table, batch, "000001") is not None, 60, "processed item")

    done = aws("lambda", "get-event-source-mapping", "--uuid", stream["UUID"])
    assert done.returncode == 0, str(done)
    found = done.json()
    assert (found["LastProcessingResult"], found["StateTransitionReason"]) == ("OK", "User action")
    queue_name = outputs["InputQueueUrl"].rsplit("/", 1)[1]
    (inbox,) = [m for m in _mappings(aws) if m["EventSourceArn"].endswith(f":{queue_name}")]
    assert "LastProcessingResult" not in inbox  # Lambda reports none for SQS mappings


@pytest.mark.conformance(
    client=CLIENT, operation="lambda get/update/delete-event-source-mapping: unknown UUID"
)
def test_an_unknown_mapping_uuid_is_resource_not_found(aws: AwsCli) -> None:
    unknown = "00000000-0000-0000-0000-000000000000"
    for command in (
        ("get-event-source-mapping", "--uuid", unknown),
        ("update-event-source-mapping", "--uuid", unknown, "--no-enabled"),
        ("delete-event-source-mapping", "--uuid", unknown),
    ):
        done = aws("lambda", *command)
        assert done.returncode == 255, str(done)
        assert "ResourceNotFoundException" in done.stderr, str(done)


@pytest.mark.conformance(
    client=CLIENT, operation="lambda create-event-source-mapping (SQS) → polls → delete"
)
def test_a_mapping_created_at_runtime_polls_until_deleted(
    aws: AwsCli, outputs: dict[str, str]
) -> None:
    url, mapping = _queue_mapping(aws, outputs, "conformance-runtime", "--batch-size", "1")
    assert mapping["State"] == "Creating"
    wait_until(lambda: _mapping_state(aws, mapping["UUID"]) == "Enabled", 30, "Enabled")

    sent = aws("sqs", "send-message", "--queue-url", url, "--message-body", '{"not": "inbox"}')
    assert sent.returncode == 0, str(sent)
    wait_until(lambda: _depth(aws, url) == 0, 60, "the message consumed by the new mapping")

    deleted = aws("lambda", "delete-event-source-mapping", "--uuid", mapping["UUID"])
    assert deleted.returncode == 0, str(deleted)
    assert deleted.json()["State"] == "Deleting"

    def gone() -> bool:
        done = aws("lambda", "get-event-source-mapping", "--uuid", mapping["UUID"])
        return done.returncode == 255 and "ResourceNotFoundException" in done.stderr

    wait_until(gone, 30, "the mapping deleted")
    assert aws("sqs", "send-message", "--queue-url", url, "--message-body", "after").returncode == 0
    # Deleted: nothing polls the queue any more (receiving it proves it was left there).
    received = aws("sqs", "receive-message", "--queue-url", url, "--wait-time-seconds", "2")
    assert [m["Body"] for m in received.json()["Messages"]] == ["after"]


@pytest.mark.conformance(
    client=CLIENT, operation="lambda update-event-source-mapping --no-enabled / --enabled"
)
def test_disabling_a_mapping_pauses_it_and_enabling_resumes(
    aws: AwsCli, outputs: dict[str, str]
) -> None:
    url, mapping = _queue_mapping(aws, outputs, "conformance-pause", "--no-enabled")
    mapping_uuid = mapping["UUID"]
    wait_until(lambda: _mapping_state(aws, mapping_uuid) == "Disabled", 30, "Disabled")
    assert aws("sqs", "send-message", "--queue-url", url, "--message-body", "{}").returncode == 0
    # Disabled: the message stays (a receive sees it; its visibility timeout is 0 for that).
    peek = aws(
        "sqs", "receive-message", "--queue-url", url, "--wait-time-seconds", "2",
        "--visibility-timeout", "0",
    )  # fmt: skip
    assert len(peek.json()["Messages"]) == 1, str(peek)

    enabled = aws("lambda", "update-event-source-mapping", "--uuid", mapping_uuid, "--enabled")
    assert enabled.returncode == 0, str(enabled)
    assert enabled.json()["State"] == "Enabling"
    wait_until(lambda: _mapping_state(aws, mapping_uuid) == "Enabled", 30, "Enabled")
    wait_until(lambda: _depth(aws, url) == 0, 60, "the message consumed once enabled")
    disabled = aws("lambda", "update-event-source-mapping", "--uuid", mapping_uuid, "--no-enabled")
    assert disabled.json()["State"] == "Disabling", str(disabled)
    wait_until(lambda: _mapping_state(aws, mapping_uuid) == "Disabled", 30, "Disabled again")
    assert aws("lambda", "delete-event-source-mapping", "--uuid", mapping_uuid).returncode == 0


@pytest.mark.conformance(
    client=CLIENT, operation="cloudformation list-stack-resources: event source mappings"
)
def test_list_stack_resources_lists_the_mappings_by_uuid(aws: AwsCli) -> None:
    done = aws("cloudformation", "list-stack-resources", "--stack-name", "conformance")
    assert done.returncode == 0, str(done)
    listed = {
        r["PhysicalResourceId"]: r["LogicalResourceId"]
        for r in done.json()["StackResourceSummaries"]
        if r["ResourceType"] == "AWS::Lambda::EventSourceMapping"
    }
    stack_uuids = {m["UUID"] for m in _mappings(aws) if m["EventSourceArn"].count("conformance")}
    assert set(listed) == stack_uuids
    assert len(listed) == 3
    assert "RecordProcessorFunctionRecords" in listed.values()

    described = aws(
        "cloudformation", "describe-stack-resources", "--stack-name", "conformance",
        "--logical-resource-id", "RecordProcessorFunctionRecords",
    )  # fmt: skip
    assert described.returncode == 0, str(described)
    [resource] = described.json()["StackResources"]
    assert resource["ResourceType"] == "AWS::Lambda::EventSourceMapping"
    assert resource["PhysicalResourceId"] in listed


@pytest.mark.conformance(
    client=CLIENT, operation="lambda get-function-configuration: the template's settings"
)
def test_function_configuration_is_what_the_template_declares(
    aws: AwsCli, outputs: dict[str, str]
) -> None:
    done = aws(
        "lambda", "get-function-configuration", "--function-name",
        outputs["RecordProcessorFunctionName"],
    )  # fmt: skip
    assert done.returncode == 0, str(done)
    configuration = done.json()
    # Globals: arm64, Tracing: Active, MemorySize 256, the two layers; the function: Timeout 60.
    assert configuration["Architectures"] == ["arm64"]
    assert configuration["TracingConfig"] == {"Mode": "Active"}
    assert (configuration["MemorySize"], configuration["Timeout"]) == (256, 60)
    layers = [layer["Arn"] for layer in configuration["Layers"]]
    assert len(layers) == 2
    assert ":layer:AWSLambdaPowertoolsPythonV3-" in layers[0]
    assert ":layer:conformance-ObservabilityLayer" in layers[1]
    # No LoggingConfig in the template: Lambda's defaults, where sam logs looks.
    assert configuration["LoggingConfig"] == {
        "LogFormat": "Text",
        "LogGroup": f"/aws/lambda/{outputs['RecordProcessorFunctionName']}",
    }


@pytest.mark.conformance(
    client=CLIENT, operation="cloudformation describe-stack-events: per resource"
)
def test_stack_events_list_every_resource(aws: AwsCli) -> None:
    done = aws("cloudformation", "describe-stack-events", "--stack-name", "conformance")
    assert done.returncode == 0, str(done)
    events = done.json()["StackEvents"][::-1]  # newest first, as CloudFormation lists them
    resources = aws("cloudformation", "list-stack-resources", "--stack-name", "conformance")
    listed = {r["LogicalResourceId"]: r for r in resources.json()["StackResourceSummaries"]}
    completed = {
        e["LogicalResourceId"]: e["PhysicalResourceId"]
        for e in events
        if e["ResourceStatus"] == "CREATE_COMPLETE"
    }
    assert set(completed) == {*listed, "conformance"}
    for logical_id, resource in listed.items():
        assert completed[logical_id] == resource["PhysicalResourceId"]
    started = [
        e["LogicalResourceId"] for e in events if e["ResourceStatus"] == "CREATE_IN_PROGRESS"
    ]
    assert set(started) == set(completed)
    # The stack starts first and completes last; each resource starts before it completes.
    assert events[0]["ResourceType"] == events[-1]["ResourceType"] == "AWS::CloudFormation::Stack"
    assert (events[0]["ResourceStatus"], events[-1]["ResourceStatus"]) == (
        "CREATE_IN_PROGRESS",
        "CREATE_COMPLETE",
    )
    timestamps = [e["Timestamp"] for e in events]
    assert timestamps == sorted(timestamps)
    order = [(e["LogicalResourceId"], e["ResourceStatus"]) for e in events]
    for logical_id in listed:
        assert order.index((logical_id, "CREATE_IN_PROGRESS")) < order.index(
            (logical_id, "CREATE_COMPLETE")
        )


def _invoke(aws: AwsCli, function_name: str, event: Path, answer: Path) -> tuple[str, str]:
    """Invoke with the log tail: the request id and the log tail's text."""
    done = aws(
        "lambda", "invoke", "--function-name", function_name, "--payload", f"fileb://{event}",
        "--log-type", "Tail", str(answer),
    )  # fmt: skip
    assert done.returncode == 0, str(done)
    log_tail = done.json()["LogResult"]
    return request_id_of(log_tail), base64.b64decode(log_tail).decode()


LAMBDA_STREAM_NAME = re.compile(r"^\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}$")


@pytest.mark.conformance(client=CLIENT, operation="logs filter-log-events: an invoke's lines")
def test_filter_log_events_reads_an_invoke(
    aws: AwsCli, outputs: dict[str, str], tmp_path: Path
) -> None:
    name = outputs["CheckOutputQueueFunctionName"]
    since_ms = str(int(time.time() * 1000) - 1000)
    request_id, _ = _invoke(aws, name, REFUSED_READ_EVENT, tmp_path / "answer.json")
    found: list[dict[str, Any]] = []

    def delivered() -> bool:
        done = aws(
            "logs", "filter-log-events", "--log-group-name", f"/aws/lambda/{name}",
            "--start-time", since_ms,
        )  # fmt: skip
        assert done.returncode == 0, str(done)
        found[:] = [e for e in done.json()["events"] if request_id in e["message"]]
        return any(e["message"].startswith("REPORT RequestId:") for e in found)

    wait_until(delivered, 60, "the invoke's REPORT line")
    lines = [e["message"] for e in found]
    assert lines[0] == f"START RequestId: {request_id} Version: $LATEST"
    assert lines[-2] == f"END RequestId: {request_id}"
    assert re.match(
        rf"REPORT RequestId: {request_id}\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\t"
        r"Memory Size: 256 MB\tMax Memory Used: \d+ MB",
        lines[-1],
    ), lines[-1]
    [stream] = {e["logStreamName"] for e in found}
    assert LAMBDA_STREAM_NAME.match(stream), stream


def _records_written(aws: AwsCli, start: str, end: str) -> float:
    query = {
        "Id": "written",
        "MetricStat": {
            "Metric": {
                "Namespace": "SamStreamsAndQueues",
                "MetricName": "RecordsWritten",
                "Dimensions": [{"Name": "service", "Value": "record-stream"}],
            },
            "Period": 60,
            "Stat": "Sum",
        },
    }
    done = aws(
        "cloudwatch", "get-metric-data", "--metric-data-queries", json.dumps([query]),
        "--start-time", start, "--end-time", end,
    )  # fmt: skip
    assert done.returncode == 0, str(done)
    return float(sum(done.json()["MetricDataResults"][0]["Values"]))


@pytest.mark.conformance(client=CLIENT, operation="cloudwatch get-metric-data: EMF RecordsWritten")
def test_get_metric_data_returns_the_functions_emf_metrics(
    aws: AwsCli, outputs: dict[str, str], tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    start, end = (
        (now - timedelta(minutes=10)).isoformat(),
        (now + timedelta(minutes=10)).isoformat(),
    )
    before = _records_written(aws, start, end)
    event = REPO_ROOT / "events/record_stream/kinesis-single.json"
    name = outputs["RecordProcessorFunctionName"]
    _, log_tail = _invoke(aws, name, event, tmp_path / "answer.json")
    # What the invoke's EMF line says it wrote (Powertools Metrics prints it at the end).
    [emf] = [json.loads(line) for line in log_tail.splitlines() if '"_aws"' in line]
    [written] = emf["RecordsWritten"]
    assert written >= 1, emf

    wait_until(
        lambda: _records_written(aws, start, end) >= before + written, 60, "RecordsWritten counted"
    )
