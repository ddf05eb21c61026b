"""Lambda's 6 MB response limit seen through the API front: a real worker behind an aws_proxy
route answers a body of ``?bytes=N``; over the limit Lambda fails the invoke, and API Gateway
answers its 502."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from tests.apigw.apigw_support import (
    ECHO_FUNCTION,
    REGION,
    STAGE,
    Deployed,
    inbox_outbox_definition,
    send,
)
from tests.conftest import FUNCTIONS_UNDER_TEST

from localcloud.apigw.front import ApiFront
from localcloud.config import ACCESS_KEY_ID, SECRET_ACCESS_KEY
from localcloud.functions.invoker import LocalInvoker
from localcloud.functions.limits import RESPONSE_BYTES
from localcloud.specs import FunctionSpec, RestApiSpec

# The proxy response around the body: {"statusCode": 200, "body": "..."}.
_ENVELOPE = len('{"statusCode": 200, "body": ""}')


@pytest.fixture(scope="module")
def echo_url(deployed: Deployed) -> Iterator[str]:
    spec = FunctionSpec(
        logical_id="EchoFunction",
        function_name=ECHO_FUNCTION,
        handler="probe.handlers.proxy_handler",
        code_dir=FUNCTIONS_UNDER_TEST,
        runtime="python3.13",
        timeout_s=10,
        memory_mb=512,
    )
    with LocalInvoker({spec.function_name: spec}, deployed.endpoint_url, REGION) as invoker:
        front = ApiFront(
            [RestApiSpec("InboxOutboxApi", deployed.api_id, STAGE, inbox_outbox_definition())],
            invoker,
            deployed.endpoint_url,
            REGION,
            (ACCESS_KEY_ID, SECRET_ACCESS_KEY),
            port=0,
        )
        front.start()
        try:
            yield f"{front.url}/restapis/{deployed.api_id}/{STAGE}/_user_request_/echo/1"
        finally:
            front.stop()


def test_a_response_at_lambdas_limit_is_served(echo_url: str) -> None:
    size = RESPONSE_BYTES - _ENVELOPE

    response = send("GET", echo_url, params={"bytes": str(size)}, sign=False)

    assert response.status_code == 200
    assert len(response.content) == size


def test_a_response_over_lambdas_limit_is_502(echo_url: str) -> None:
    # The 7.87 MB GET /outbox answer that came back 200 locally: Lambda fails that invoke.
    response = send("GET", echo_url, params={"bytes": "7870000"}, sign=False)

    assert response.status_code == 502
    assert response.json() == {"message": "Internal server error"}


def test_non_ascii_counts_its_utf8_bytes_not_its_json_escapes(echo_url: str) -> None:
    # The python3.12+ runtimes return non-ASCII unescaped: an emoji is 4 bytes of the limit, not
    # the 12 of its JSON escape: 2.4 MB of emoji (7.2 MB escaped, over the limit) are served.
    size = 2_400_000
    assert len(json.dumps("😀" * (size // 4))) > RESPONSE_BYTES

    response = send("GET", echo_url, params={"bytes": str(size), "char": "😀"}, sign=False)

    assert response.status_code == 200
    assert len(response.content) == size


def test_a_request_over_lambdas_limit_is_413_and_never_runs_the_function(echo_url: str) -> None:
    # Under API Gateway's 10 MB quota, over Lambda's 6 MB request limit once in the proxy event.
    response = send("POST", echo_url, body=b"x" * 6_500_000, sign=False)

    assert response.status_code == 413
    assert response.json() == {"message": "Request Entity Too Large"}
