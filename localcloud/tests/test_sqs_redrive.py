"""DLQ redrive with the stock clients: ``aws sqs start-message-move-task`` moves a DLQ's
messages back to their source queue on the local cloud's moto port."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from localcloud.config import ACCESS_KEY_ID, SECRET_ACCESS_KEY
from localcloud.server import LocalCloudServer

AWS_CLI = Path(sys.executable).parent / "aws"


def _sqs(server: LocalCloudServer) -> Any:
    return boto3.client("sqs", endpoint_url=server.url, region_name="us-east-1")


def _queue(sqs: Any, name: str, **attributes: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return url, arn


def _source_and_dlq(sqs: Any) -> tuple[str, str, str, str]:
    tag = uuid.uuid4().hex[:8]
    dlq_url, dlq_arn = _queue(sqs, f"redrive-dlq-{tag}")
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})
    source_url, source_arn = _queue(
        sqs, f"redrive-source-{tag}", RedrivePolicy=policy, VisibilityTimeout="0"
    )
    return source_url, source_arn, dlq_url, dlq_arn


def _drain(sqs: Any, url: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while True:
        messages = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            return found
        for message in messages:
            found.append(message)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def _aws(server: LocalCloudServer, *args: str) -> Any:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    result = subprocess.run(
        [str(AWS_CLI), *args, "--endpoint-url", server.url, "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _moved_so_far(sqs: Any, dlq_arn: str) -> int:
    (task,) = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
    return int(task["ApproximateNumberOfMessagesMoved"])


def _wait_for_status(sqs: Any, dlq_arn: str, status: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        (task,) = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
        if task["Status"] == status:
            return dict(task)
        time.sleep(0.1)
    raise AssertionError(f"task never {status}: {task}")


def test_the_aws_cli_redrives_a_dlq_to_its_source(local_server: LocalCloudServer) -> None:
    sqs = _sqs(local_server)
    source_url, source_arn, dlq_url, dlq_arn = _source_and_dlq(sqs)
    # Two messages reach the DLQ the real way: received once too often (maxReceiveCount 1).
    sqs.send_message(QueueUrl=source_url, MessageBody="redriven-0")
    sqs.send_message(QueueUrl=source_url, MessageBody="redriven-1")
    for _ in range(3):
        sqs.receive_message(QueueUrl=source_url, MaxNumberOfMessages=10)
    for n in range(23):
        sqs.send_message(
            QueueUrl=dlq_url,
            MessageBody=f"direct-{n}",
            MessageAttributes={"n": {"DataType": "Number", "StringValue": str(n)}},
        )

    started = _aws(local_server, "sqs", "start-message-move-task", "--source-arn", dlq_arn)
    assert started["TaskHandle"]
    _wait_for_status(sqs, dlq_arn, "COMPLETED")  # boto3: each CLI start costs seconds here
    (task,) = _aws(local_server, "sqs", "list-message-move-tasks", "--source-arn", dlq_arn)[
        "Results"
    ]

    assert task["Status"] == "COMPLETED", task
    assert task["ApproximateNumberOfMessagesMoved"] == 25
    assert task["ApproximateNumberOfMessagesToMove"] == 25
    assert "DestinationArn" not in task  # back to where they came from
    moved = _drain(sqs, source_url)
    assert sorted(m["Body"] for m in moved) == sorted(
        [f"redriven-{n}" for n in range(2)] + [f"direct-{n}" for n in range(23)]
    )
    attributes = {m["Body"]: m.get("MessageAttributes") for m in moved}
    assert attributes["direct-7"] == {"n": {"DataType": "Number", "StringValue": "7"}}
    assert _drain(sqs, dlq_url) == []
    assert source_arn.endswith(source_url.rsplit("/", 1)[1])


def test_a_running_task_can_be_listed_and_cancelled(local_server: LocalCloudServer) -> None:
    sqs = _sqs(local_server)
    _, _, dlq_url, dlq_arn = _source_and_dlq(sqs)
    elsewhere_url, elsewhere_arn = _queue(sqs, f"redrive-elsewhere-{uuid.uuid4().hex[:8]}")
    for start in range(0, 50, 10):
        sqs.send_message_batch(
            QueueUrl=dlq_url,
            Entries=[{"Id": str(i), "MessageBody": f"m{start + i}"} for i in range(10)],
        )

    handle = sqs.start_message_move_task(
        SourceArn=dlq_arn, DestinationArn=elsewhere_arn, MaxNumberOfMessagesPerSecond=5
    )["TaskHandle"]
    with pytest.raises(ClientError) as second:
        sqs.start_message_move_task(SourceArn=dlq_arn)
    assert second.value.response["Error"]["Code"] == "UnsupportedOperation"
    (running,) = sqs.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=10)["Results"]
    assert running["Status"] == "RUNNING"
    assert running["TaskHandle"] == handle
    assert running["DestinationArn"] == elsewhere_arn
    assert running["MaxNumberOfMessagesPerSecond"] == 5
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not _moved_so_far(sqs, dlq_arn):
        time.sleep(0.05)

    moved_so_far = sqs.cancel_message_move_task(TaskHandle=handle)[
        "ApproximateNumberOfMessagesMoved"
    ]
    cancelled = _wait_for_status(sqs, dlq_arn, "CANCELLED")

    assert 0 < cancelled["ApproximateNumberOfMessagesMoved"] < 50
    assert cancelled["ApproximateNumberOfMessagesMoved"] >= moved_so_far
    moved = len(_drain(sqs, elsewhere_url))
    left = len(_drain(sqs, dlq_url))
    assert moved == cancelled["ApproximateNumberOfMessagesMoved"]
    assert moved + left == 50  # nothing lost, nothing doubled
    with pytest.raises(ClientError) as again:
        sqs.cancel_message_move_task(TaskHandle=handle)
    assert again.value.response["Error"]["Code"] == "UnsupportedOperation"


@pytest.mark.parametrize(
    ("arguments", "code"),
    [
        (
            {"SourceArn": "arn:aws:sqs:us-east-1:123456789012:no-such-queue"},
            "ResourceNotFoundException",
        ),
        ({"SourceArn": "not-an-arn"}, "InvalidParameterValue"),
        (None, "InvalidParameterValue"),  # a queue that is nobody's DLQ
    ],
)
def test_bad_requests_are_told_why_without_retries(
    local_server: LocalCloudServer, arguments: dict[str, str] | None, code: str
) -> None:
    sqs = _sqs(local_server)
    if arguments is None:
        _, plain_arn = _queue(sqs, f"redrive-plain-{uuid.uuid4().hex[:8]}")
        arguments = {"SourceArn": plain_arn}
    with pytest.raises(ClientError) as raised:
        sqs.start_message_move_task(**arguments)
    assert raised.value.response["Error"]["Code"] == code
    assert raised.value.response["ResponseMetadata"]["RetryAttempts"] == 0
    with pytest.raises(ClientError):
        sqs.cancel_message_move_task(TaskHandle="bm8tc3VjaC10YXNr")
