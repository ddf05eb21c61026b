"""An integration suite of the greeter project (tests/projects/greeter) written for AWS only.

It reads what a suite run against a deployed stack reads — the stack name (``AWS_SAM_STACK_NAME``),
the region and credentials boto3 finds by itself — and uses AWS's own endpoints: boto3 with no
``endpoint_url``, the stack's ``https://{api}.execute-api.{region}.amazonaws.com/{stage}`` output
with requests + SigV4. No local-cloud variable, no endpoint override. The local cloud's tests run
it unchanged under ``localcloud run --proxy -- pytest greeter_on_aws.py``
(``test_aws_only_suite.py``). Named outside ``test_*`` so the local cloud's own runs skip it.
"""

from __future__ import annotations

import os
import time
from typing import Any

import boto3
import pytest
import requests
from requests_aws4auth import AWS4Auth


@pytest.fixture(scope="module")
def session() -> boto3.Session:
    return boto3.Session()


@pytest.fixture(scope="module")
def outputs(session: boto3.Session) -> dict[str, str]:
    stack = session.client("cloudformation").describe_stacks(
        StackName=os.environ["AWS_SAM_STACK_NAME"]
    )["Stacks"][0]
    return {output["OutputKey"]: output["OutputValue"] for output in stack["Outputs"]}


def _signer(session: boto3.Session) -> AWS4Auth:
    credentials = session.get_credentials()
    assert credentials is not None, "no AWS credentials"
    frozen = credentials.get_frozen_credentials()
    return AWS4Auth(
        frozen.access_key,
        frozen.secret_key,
        session.region_name,
        "execute-api",
        session_token=frozen.token,
    )


def test_the_api_output_is_an_execute_api_url(outputs: dict[str, str]) -> None:
    assert ".execute-api." in outputs["ApiUrl"]
    assert outputs["ApiUrl"].startswith("https://")


def test_the_api_greets_a_signed_caller(session: boto3.Session, outputs: dict[str, str]) -> None:
    answer = requests.get(f"{outputs['ApiUrl']}/hello/suite", auth=_signer(session), timeout=30)

    assert answer.status_code == 200, answer.text
    assert answer.json()["greeting"] == "Hello, suite!"


def test_the_api_refuses_an_unsigned_caller(outputs: dict[str, str]) -> None:
    answer = requests.get(f"{outputs['ApiUrl']}/hello/suite", timeout=30)

    assert answer.status_code == 403
    assert answer.json() == {"message": "Missing Authentication Token"}


def _receive_one(sqs: Any, queue_url: str, timeout_s: float) -> str | None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        answer = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)
        for message in answer.get("Messages", []):
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            return str(message["Body"])
    return None


def test_a_queued_request_is_greeted(session: boto3.Session, outputs: dict[str, str]) -> None:
    sqs = session.client("sqs")
    sqs.send_message(QueueUrl=outputs["RequestsQueueUrl"], MessageBody="queue")

    assert _receive_one(sqs, outputs["GreetingsQueueUrl"], timeout_s=60) == "Hello, queue!"
