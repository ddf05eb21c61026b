"""Fixtures of the API front tests: the local cloud's moto server (with its fault injection; the
inbox queue, the REST API put from the template's DefinitionBody) and one ApiFront on a free port
per test process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from tests.apigw.apigw_support import (
    QUEUE_NAME,
    REGION,
    STAGE,
    Deployed,
    FunctionDouble,
    aws_client,
    inbox_outbox_definition,
    moto_body,
    take_messages,
)

from localcloud.apigw.front import ApiFront
from localcloud.config import ACCESS_KEY_ID, SECRET_ACCESS_KEY
from localcloud.server import LocalCloudServer
from localcloud.specs import RestApiSpec


@pytest.fixture(scope="session")
def deployed(local_server: LocalCloudServer) -> Iterator[Deployed]:
    endpoint_url = local_server.url
    queue_url = aws_client("sqs", endpoint_url).create_queue(QueueName=QUEUE_NAME)["QueueUrl"]
    definition = inbox_outbox_definition()
    apigateway = aws_client("apigateway", endpoint_url)
    api_id = apigateway.create_rest_api(name="apigw-test")["id"]
    apigateway.put_rest_api(
        restApiId=api_id, mode="overwrite", body=json.dumps(moto_body(definition))
    )
    apigateway.create_deployment(restApiId=api_id, stageName=STAGE)
    function = FunctionDouble()
    front = ApiFront(
        [RestApiSpec("InboxOutboxApi", api_id, STAGE, definition)],
        function,
        endpoint_url,
        REGION,
        (ACCESS_KEY_ID, SECRET_ACCESS_KEY),
        port=0,
    )
    front.start()
    yield Deployed(endpoint_url, api_id, queue_url, front, function)
    front.stop()


@pytest.fixture
def api(deployed: Deployed) -> Iterator[Deployed]:
    """The deployed API with a fresh function double, an empty input queue and no fault rules
    per test."""
    requests.delete(f"{deployed.endpoint_url}/_localcloud/faults", timeout=10).raise_for_status()
    deployed.function.calls.clear()
    deployed.function.answer = FunctionDouble().answer
    take_messages(aws_client("sqs", deployed.endpoint_url), deployed.queue_url)
    yield deployed


@pytest.fixture(scope="session")
def sqs(deployed: Deployed) -> Any:
    return aws_client("sqs", deployed.endpoint_url)
