"""The Invoke route: boto3 ``lambda.invoke`` against the server runs the real worker."""

from __future__ import annotations

import base64
import io
import json
import logging
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from localcloud.functions.invoker import LocalInvoker
from localcloud.functions.limits import (
    ASYNC_REQUEST_BYTES,
    RESPONSE_BYTES,
    RESPONSE_TOO_LARGE_ERROR,
    SYNC_REQUEST_BYTES,
)
from localcloud.server import LocalCloudServer
from localcloud.specs import FunctionSpec


@pytest.fixture
def lambda_client(
    local_server: LocalCloudServer, probe_spec: Callable[..., FunctionSpec]
) -> Iterator[Any]:
    spec = probe_spec(function_name="served-probe")
    invoker = LocalInvoker({spec.function_name: spec}, local_server.url, "us-east-1")
    local_server.set_invoker(invoker)
    try:
        yield boto3.client("lambda", endpoint_url=local_server.url, region_name="us-east-1")
    finally:
        local_server.set_invoker(None)
        invoker.close()


def _invoke(client: Any, event: Any, **kwargs: Any) -> tuple[dict[str, Any], Any]:
    response = client.invoke(
        FunctionName="served-probe", Payload=json.dumps(event).encode(), **kwargs
    )
    return response, json.loads(response["Payload"].read() or b"null")


def test_request_response_returns_the_payload(lambda_client: Any) -> None:
    response, payload = _invoke(lambda_client, {"action": "echo", "x": 1})

    assert response["StatusCode"] == 200
    assert "FunctionError" not in response
    assert payload["event"] == {"action": "echo", "x": 1}


def test_function_error_header_and_log_tail(lambda_client: Any) -> None:
    response, payload = _invoke(lambda_client, {"action": "raise"}, LogType="Tail")

    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "ValueError"
    log = base64.b64decode(response["LogResult"]).decode()
    assert log.startswith("START RequestId: ")
    assert "[ERROR] ValueError: boom" in log


def test_function_reaches_moto_through_the_endpoint(
    lambda_client: Any, local_server: LocalCloudServer
) -> None:
    sqs = boto3.client("sqs", endpoint_url=local_server.url, region_name="us-east-1")
    queue_url = sqs.create_queue(QueueName="seen-by-the-probe")["QueueUrl"]

    _, queues = _invoke(lambda_client, {"action": "list-queues"})

    assert any(url.endswith("/seen-by-the-probe") for url in queues)
    sqs.delete_queue(QueueUrl=queue_url)


def test_event_invocation_runs_in_the_background(
    lambda_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="localcloud.function")
    response = lambda_client.invoke(
        FunctionName="served-probe",
        InvocationType="Event",
        Payload=json.dumps({"action": "print", "text": "async-marker"}).encode(),
    )

    assert response["StatusCode"] == 202
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(
        "async-marker" in r.getMessage() for r in caplog.records
    ):
        time.sleep(0.05)
    assert "[served-probe] async-marker" in [r.getMessage() for r in caplog.records]


def test_unknown_function_goes_to_moto(lambda_client: Any) -> None:
    with pytest.raises(ClientError) as raised:
        lambda_client.invoke(FunctionName="nobody-deployed-this", Payload=b"{}")
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_non_invoke_requests_still_reach_moto(local_server: LocalCloudServer) -> None:
    s3 = boto3.client("s3", endpoint_url=local_server.url, region_name="us-east-1")
    s3.create_bucket(Bucket="server-test-bucket")
    assert "server-test-bucket" in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def _event_of_size(size: int) -> bytes:
    """A ``print`` event whose JSON text is exactly ``size`` bytes."""
    skeleton = json.dumps({"action": "print", "text": "at-limit", "pad": ""})
    payload = json.dumps(
        {"action": "print", "text": "at-limit", "pad": "p" * (size - len(skeleton))}
    )
    assert len(payload) == size
    return payload.encode()


@pytest.mark.parametrize(
    ("invocation_type", "limit", "accepted_status"),
    [("RequestResponse", SYNC_REQUEST_BYTES, 200), ("Event", ASYNC_REQUEST_BYTES, 202)],
)
def test_a_request_over_lambdas_limit_is_413_and_never_runs(
    lambda_client: Any,
    caplog: pytest.LogCaptureFixture,
    invocation_type: str,
    limit: int,
    accepted_status: int,
) -> None:
    caplog.set_level(logging.INFO, logger="localcloud.function")
    with pytest.raises(ClientError) as raised:
        lambda_client.invoke(
            FunctionName="served-probe",
            InvocationType=invocation_type,
            Payload=_event_of_size(limit + 1),
        )
    at_limit = lambda_client.invoke(
        FunctionName="served-probe", InvocationType=invocation_type, Payload=_event_of_size(limit)
    )
    deadline = time.monotonic() + 10  # an Event invoke runs on after the 202
    printed = ["[served-probe] at-limit"]
    while time.monotonic() < deadline and printed[0] not in [
        r.getMessage() for r in caplog.records
    ]:
        time.sleep(0.05)

    assert at_limit["StatusCode"] == accepted_status
    # Only the invoke at the limit ran.
    assert [r.getMessage() for r in caplog.records].count(printed[0]) == 1
    error = raised.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert error["Error"]["Code"] == "RequestEntityTooLargeException"
    assert error["Error"]["Message"] == (
        f"{limit + 1} byte payload is too large for the {invocation_type} invocation type "
        f"(limit {limit} bytes)"
    )


def test_a_response_over_lambdas_limit_fails_the_invoke(lambda_client: Any) -> None:
    at_limit, payload = _invoke(lambda_client, {"action": "respond", "bytes": RESPONSE_BYTES})
    over, error = _invoke(lambda_client, {"action": "respond", "bytes": RESPONSE_BYTES + 1})

    assert "FunctionError" not in at_limit
    assert len(payload) == RESPONSE_BYTES - 2
    assert over["FunctionError"] == "Unhandled"
    assert error == RESPONSE_TOO_LARGE_ERROR


@pytest.mark.parametrize("character", ["\x00", "\x1b", "\ufffe", "\uffff"])
def test_sqs_refuses_characters_outside_its_set_as_aws_does(
    local_server: LocalCloudServer, character: str
) -> None:
    sqs = boto3.client("sqs", endpoint_url=local_server.url, region_name="us-east-1")
    queue_url = sqs.create_queue(QueueName="character-rules")["QueueUrl"]
    try:
        with pytest.raises(ClientError) as raised:
            sqs.send_message(QueueUrl=queue_url, MessageBody=f"ok{character}")
        sqs.send_message(QueueUrl=queue_url, MessageBody="tab\t nl\n cr\r \ud7ff \ue000 \U0010ffff")
        received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    finally:
        sqs.delete_queue(QueueUrl=queue_url)

    error = raised.value.response
    assert error["Error"]["Code"] == "InvalidMessageContents"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert f"'#x{ord(character):X}'" in error["Error"]["Message"]
    assert [m["Body"] for m in received] == ["tab\t nl\n cr\r \ud7ff \ue000 \U0010ffff"]


def _zip_of(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", source)
    return buffer.getvalue()


@pytest.fixture
def configurable_function(
    local_server: LocalCloudServer, probe_spec: Callable[..., FunctionSpec]
) -> Iterator[tuple[Any, LocalInvoker]]:
    """The probe, known to moto's Lambda (as a deploy leaves it) and run by the local workers."""
    name = f"configured-probe-{uuid.uuid4().hex[:8]}"
    iam = boto3.client("iam", endpoint_url=local_server.url, region_name="us-east-1")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    client = boto3.client("lambda", endpoint_url=local_server.url, region_name="us-east-1")
    client.create_function(
        FunctionName=name,
        Runtime="python3.13",
        Role=role,
        Handler="probe.handlers.lambda_handler",
        Code={"ZipFile": _zip_of("")},
        Timeout=5,
        MemorySize=256,
        Environment={"Variables": {"GREETING": "hello"}},
    )
    invoker = LocalInvoker({name: probe_spec(function_name=name)}, local_server.url, "us-east-1")
    local_server.set_invoker(invoker)
    try:
        yield client, invoker
    finally:
        local_server.set_invoker(None)
        invoker.close()
        client.delete_function(FunctionName=name)
        iam.delete_role(RoleName=name)


def test_update_function_configuration_reaches_the_next_invokes(
    configurable_function: tuple[Any, LocalInvoker],
) -> None:
    client, invoker = configurable_function
    (name,) = invoker.functions

    def invoke(event: Any) -> tuple[dict[str, Any], Any]:
        response = client.invoke(FunctionName=name, Payload=json.dumps(event).encode())
        return response, json.loads(response["Payload"].read() or b"null")

    _, before = invoke({"action": "echo"})
    updated = client.update_function_configuration(
        FunctionName=name, Timeout=1, MemorySize=512, Environment={"Variables": {"GREETING": "hi"}}
    )
    assert (updated["Timeout"], updated["MemorySize"]) == (1, 512)

    # A new worker (a new execution environment) with the new timeout, memory and variables.
    _, after = invoke({"action": "echo"})
    assert after["pid"] != before["pid"]
    assert before["pid"] not in invoker.worker_pids(name)
    _, context = invoke({"action": "context"})
    assert int(context["memory_limit_in_mb"]) == 512  # a string, as Lambda's Python runtime has it
    assert context["remaining_ms"] <= 1000
    _, env = invoke({"action": "env", "names": ["GREETING", "AWS_LAMBDA_FUNCTION_TIMEOUT"]})
    assert env == {"GREETING": "hi", "AWS_LAMBDA_FUNCTION_TIMEOUT": "1"}
    timed_out, payload = invoke({"action": "sleep", "seconds": 3})
    assert timed_out["FunctionError"] == "Unhandled"
    assert "Task timed out after 1.00 seconds" in payload["errorMessage"]


def test_a_configuration_update_for_another_function_is_moto_s(
    configurable_function: tuple[Any, LocalInvoker],
) -> None:
    client, invoker = configurable_function
    (name,) = invoker.functions
    with pytest.raises(ClientError) as raised:
        client.update_function_configuration(FunctionName="no-such-function", Timeout=1)
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert invoker.resolve(name).timeout_s == 5
