"""The AWS SDK for JavaScript v3 with default client settings: AWS_ENDPOINT_URL from the env."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from tests.conformance.runners import REFUSED_READ_EVENT, REPO_ROOT, JsSdk, request_id_of
from tests.esm.esm_support import wait_until

CLIENT = "AWS SDK for JavaScript v3"


@pytest.mark.conformance(client=CLIENT, operation="CloudFormation DescribeStacks: outputs")
def test_describe_stacks(js: JsSdk, outputs: dict[str, str]) -> None:
    stack = js("cloudformation", "DescribeStacks", {"StackName": "conformance"})["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]} == outputs


def _send_receive_delete(js: JsSdk, queue_url: str) -> None:
    body = f"js-{uuid.uuid4().hex}"
    sent = js("sqs", "SendMessage", {"QueueUrl": queue_url, "MessageBody": body})
    received: list[dict[str, str]] = []

    def receive() -> bool:
        page = js(
            "sqs",
            "ReceiveMessage",
            {"QueueUrl": queue_url, "WaitTimeSeconds": 1, "MaxNumberOfMessages": 10},
        )
        received.extend(page.get("Messages", []))
        return any(m["Body"] == body for m in received)

    wait_until(receive, 30, "the message back")
    ours = next(m for m in received if m["Body"] == body)
    assert ours["MessageId"] == sent["MessageId"]
    js("sqs", "DeleteMessage", {"QueueUrl": queue_url, "ReceiptHandle": ours["ReceiptHandle"]})


@pytest.mark.conformance(client=CLIENT, operation="SQS GetQueueUrl + SendMessage / ReceiveMessage")
def test_sqs_send_and_receive_by_queue_name(js: JsSdk, outputs: dict[str, str]) -> None:
    name = outputs["RecordProcessorFailureQueueUrl"].rsplit("/", 1)[1]
    queue_url = js("sqs", "GetQueueUrl", {"QueueName": name})["QueueUrl"]
    _send_receive_delete(js, queue_url)


def _get_item(js: JsSdk, table: str, key: dict[str, Any]) -> dict[str, dict[str, str]] | None:
    answer = js("dynamodb", "GetItem", {"TableName": table, "Key": key, "ConsistentRead": True})
    item: dict[str, dict[str, str]] | None = answer.get("Item")
    return item


@pytest.mark.conformance(client=CLIENT, operation="DynamoDB PutItem → stream → GetItem")
def test_dynamodb_put_item_reaches_the_listener(js: JsSdk, outputs: dict[str, str]) -> None:
    batch = f"js-{uuid.uuid4().hex[:8]}"
    key = {"PK": {"S": batch}, "SK": {"S": "000001"}}
    item = {**key, "arrival_ms": {"N": "1"}}
    js("dynamodb", "PutItem", {"TableName": outputs["ProcessedRecordsTableName"], "Item": item})

    table = outputs["ListenerTableName"]
    wait_until(lambda: _get_item(js, table, key) is not None, 60, "the listener's item")
    listened = _get_item(js, table, key)
    assert listened is not None
    assert listened["batch"] == {"S": batch}


@pytest.mark.conformance(client=CLIENT, operation="Lambda GetFunction")
def test_lambda_get_function(js: JsSdk, outputs: dict[str, str]) -> None:
    name = outputs["RecordProcessorFunctionName"]
    configuration = js("lambda", "GetFunction", {"FunctionName": name})["Configuration"]
    assert configuration["FunctionName"] == name
    assert configuration["Runtime"] == "python3.13"


@pytest.mark.conformance(client=CLIENT, operation="Lambda Invoke (API event of events/)")
def test_lambda_invoke(js: JsSdk, outputs: dict[str, str]) -> None:
    event = (REPO_ROOT / "events/inbox_outbox/apigw-get-outbox.json").read_bytes()
    answer = js(
        "lambda",
        "Invoke",
        {"FunctionName": outputs["CheckOutputQueueFunctionName"], "Payload": js.blob(event)},
    )
    assert answer["StatusCode"] == 200
    assert "FunctionError" not in answer, answer
    response = json.loads(js.unblob(answer["Payload"]))
    assert response["statusCode"] == 200


@pytest.mark.conformance(client=CLIENT, operation="Lambda ListEventSourceMappings")
def test_list_event_source_mappings(js: JsSdk, outputs: dict[str, str]) -> None:
    mappings = js("lambda", "ListEventSourceMappings")["EventSourceMappings"]
    functions = {m["FunctionArn"].rsplit(":", 1)[1] for m in mappings if m["State"] == "Enabled"}
    assert {
        outputs["RecordProcessorFunctionName"],
        outputs["ListenerFunctionName"],
        outputs["ProcessInputQueueFunctionName"],
    } <= functions


@pytest.mark.conformance(
    client=CLIENT, operation="Lambda CreateEventSourceMapping (SQS) → polls → Delete"
)
def test_create_event_source_mapping_polls(js: JsSdk, outputs: dict[str, str]) -> None:
    queue_url = js("sqs", "CreateQueue", {"QueueName": f"js-runtime-{uuid.uuid4().hex[:8]}"})[
        "QueueUrl"
    ]
    arn = js("sqs", "GetQueueAttributes", {"QueueUrl": queue_url, "AttributeNames": ["QueueArn"]})[
        "Attributes"
    ]["QueueArn"]
    created = js(
        "lambda",
        "CreateEventSourceMapping",
        {
            "FunctionName": outputs["ProcessInputQueueFunctionName"],
            "EventSourceArn": arn,
            "BatchSize": 1,
        },
    )
    js("sqs", "SendMessage", {"QueueUrl": queue_url, "MessageBody": '{"not": "inbox"}'})

    def depth() -> int:
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        found = js("sqs", "GetQueueAttributes", {"QueueUrl": queue_url, "AttributeNames": names})
        return sum(int(v) for v in found["Attributes"].values())

    wait_until(lambda: depth() == 0, 60, "the message consumed by the new mapping")
    deleted = js("lambda", "DeleteEventSourceMapping", {"UUID": created["UUID"]})
    assert deleted["State"] == "Deleting"

    def gone() -> bool:
        done = js.call("lambda", "GetEventSourceMapping", {"UUID": created["UUID"]})
        return done.returncode == 1 and done.json()["error"]["name"] == "ResourceNotFoundException"

    wait_until(gone, 30, "the mapping deleted")


@pytest.mark.conformance(client=CLIENT, operation="Lambda UpdateEventSourceMapping: unknown UUID")
def test_update_of_an_unknown_mapping_is_not_found(js: JsSdk) -> None:
    done = js.call(
        "lambda",
        "UpdateEventSourceMapping",
        {"UUID": "00000000-0000-0000-0000-000000000000", "Enabled": False},
    )
    assert done.returncode == 1, str(done)
    assert done.json()["error"]["name"] == "ResourceNotFoundException"
    assert done.json()["error"]["status"] == 404


@pytest.mark.conformance(client=CLIENT, operation="Lambda GetFunctionConfiguration: template's")
def test_get_function_configuration(js: JsSdk, outputs: dict[str, str]) -> None:
    configuration = js(
        "lambda", "GetFunctionConfiguration", {"FunctionName": outputs["ListenerFunctionName"]}
    )
    assert configuration["Architectures"] == ["arm64"]
    assert configuration["TracingConfig"] == {"Mode": "Active"}
    assert len(configuration["Layers"]) == 2


@pytest.mark.conformance(client=CLIENT, operation="Kinesis PutRecord (HTTP/2) → DynamoDB GetItem")
def test_kinesis_put_record_over_http2_is_processed(js: JsSdk, outputs: dict[str, str]) -> None:
    # The SDK's Kinesis client speaks HTTP/2 (h2c to an http:// endpoint) by default.
    batch = f"js-{uuid.uuid4().hex[:8]}"
    record = json.dumps({"batch": batch, "id": "000001"}).encode()
    put = js(
        "kinesis",
        "PutRecord",
        {
            "StreamName": outputs["RecordsStreamName"],
            "PartitionKey": batch,
            "Data": js.blob(record),
        },
    )
    key = {"PK": {"S": batch}, "SK": {"S": "000001"}}

    table = outputs["ProcessedRecordsTableName"]
    wait_until(lambda: _get_item(js, table, key) is not None, 60, "the processed item")
    item = _get_item(js, table, key)
    assert item is not None
    assert item["sequence_number"] == {"S": put["SequenceNumber"]}


@pytest.mark.conformance(client=CLIENT, operation="SQS SendMessage to a queue URL from the outputs")
def test_sqs_send_to_the_queue_url_of_the_outputs(js: JsSdk, outputs: dict[str, str]) -> None:
    # The SDK sends to the QueueUrl's host unless told otherwise (useQueueUrlAsEndpoint).
    queue_url = outputs["RecordProcessorFailureQueueUrl"]
    _send_receive_delete(js, queue_url)


@pytest.mark.conformance(
    client=CLIENT, operation="CloudWatch Logs FilterLogEvents: an invoke's lines"
)
def test_filter_log_events_reads_an_invoke(js: JsSdk, outputs: dict[str, str]) -> None:
    name = outputs["CheckOutputQueueFunctionName"]
    since_ms = int(time.time() * 1000) - 1000
    invoked = js(
        "lambda",
        "Invoke",
        {
            "FunctionName": name,
            "Payload": js.blob(REFUSED_READ_EVENT.read_bytes()),
            "LogType": "Tail",
        },
    )
    request_id = request_id_of(invoked["LogResult"])
    found: list[str] = []

    def delivered() -> bool:
        page = js(
            "cloudwatch-logs",
            "FilterLogEvents",
            {"logGroupName": f"/aws/lambda/{name}", "startTime": since_ms},
        )
        found[:] = [e["message"] for e in page["events"] if request_id in e["message"]]
        return any(message.startswith("REPORT RequestId:") for message in found)

    wait_until(delivered, 60, "the invoke's REPORT line")
    assert found[0] == f"START RequestId: {request_id} Version: $LATEST"
    assert found[-2] == f"END RequestId: {request_id}"
