"""AWS CLI v1 against the local cloud, as its README tells a user to call it."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from tests.conformance.runners import REPO_ROOT, AwsCli
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
