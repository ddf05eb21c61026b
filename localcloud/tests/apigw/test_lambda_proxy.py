"""aws_proxy over real HTTP: the proxy event v1.0 the function gets and the response mapping."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import pytest
from aws_lambda_powertools.utilities.parser.models import APIGatewayProxyEventModel
from tests.apigw.apigw_support import (
    ECHO_FUNCTION,
    OUTBOX_FUNCTION,
    STAGE,
    Deployed,
    aws_client,
    send,
)

from localcloud.specs import InvokeResult

EVENT_KEYS = {
    "resource",
    "path",
    "httpMethod",
    "headers",
    "multiValueHeaders",
    "queryStringParameters",
    "multiValueQueryStringParameters",
    "pathParameters",
    "stageVariables",
    "requestContext",
    "body",
    "isBase64Encoded",
}
CONTEXT_KEYS = {
    "accountId",
    "apiId",
    "stage",
    "requestId",
    "extendedRequestId",
    "resourceId",
    "resourcePath",
    "httpMethod",
    "path",
    "identity",
    "requestTime",
    "requestTimeEpoch",
    "protocol",
    "domainName",
    "domainPrefix",
}
IDENTITY_KEYS = {"sourceIp", "userAgent", "accessKey", "caller", "user", "userArn", "accountId"}


def _answer(payload: Any, function_error: Any = None) -> Any:
    return lambda name, event: InvokeResult(payload, function_error)


def test_the_proxy_event_has_every_key_api_gateway_sends(api: Deployed) -> None:
    response = send(
        "GET",
        f"{api.base_url}/outbox",
        params=[("max", "3"), ("tag", "a"), ("tag", "b c"), ("plus", "x+y")],
        headers={"X-Custom": "one", "User-Agent": "apigw-test/1.0"},
    )

    assert response.status_code == 200, response.text
    name, event = api.function.calls[-1]
    assert name == OUTBOX_FUNCTION
    assert set(event) == EVENT_KEYS
    assert event["resource"] == "/outbox"
    assert event["path"] == "/outbox"
    assert event["httpMethod"] == "GET"
    assert event["queryStringParameters"] == {"max": "3", "tag": "b c", "plus": "x+y"}
    assert event["multiValueQueryStringParameters"] == {
        "max": ["3"],
        "tag": ["a", "b c"],
        "plus": ["x+y"],
    }
    assert event["pathParameters"] is None
    assert event["stageVariables"] is None
    assert event["body"] is None
    assert event["isBase64Encoded"] is False
    assert event["headers"]["X-Custom"] == "one"
    assert event["multiValueHeaders"]["X-Custom"] == ["one"]
    assert event["headers"]["X-Forwarded-For"] == "127.0.0.1"
    assert event["headers"]["X-Amzn-Trace-Id"].startswith("Root=1-")

    context = event["requestContext"]
    assert set(context) >= CONTEXT_KEYS
    assert set(context["identity"]) >= IDENTITY_KEYS
    assert context["apiId"] == api.api_id
    assert context["stage"] == STAGE
    assert context["accountId"] == "123456789012"
    assert context["resourcePath"] == "/outbox"
    assert context["httpMethod"] == "GET"
    assert context["path"] == f"/{STAGE}/outbox"
    assert context["protocol"] == "HTTP/1.1"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["identity"]["userAgent"] == "apigw-test/1.0"
    assert isinstance(context["requestTimeEpoch"], int)
    assert context["requestId"] == response.headers["x-amzn-RequestId"]
    # The handlers parse events with Powertools: the event must satisfy its model.
    APIGatewayProxyEventModel.model_validate(event)


def test_the_resource_id_is_motos_resource_id(api: Deployed) -> None:
    send("GET", f"{api.base_url}/outbox")

    resources = aws_client("apigateway", api.endpoint_url).get_resources(restApiId=api.api_id)
    ids = {item["path"]: item["id"] for item in resources["items"]}
    assert api.function.last_event()["requestContext"]["resourceId"] == ids["/outbox"]


def test_path_parameters_and_body_reach_the_function(api: Deployed) -> None:
    response = send(
        "PUT",
        f"{api.base_url}/echo/a%20b",
        body="héllo ✓".encode(),
        headers={"Content-Type": "text/plain; charset=utf-8"},
        sign=False,
    )

    assert response.status_code == 200, response.text
    name, event = api.function.calls[-1]
    assert name == ECHO_FUNCTION
    assert event["resource"] == "/echo/{id}"
    assert event["pathParameters"] == {"id": "a b"}
    assert event["path"] == "/echo/a b"
    assert event["httpMethod"] == "PUT"
    assert event["body"] == "héllo ✓"
    assert event["isBase64Encoded"] is False


def test_repeated_headers_keep_every_value(api: Deployed) -> None:
    # requests cannot send a header twice; a raw socket can.
    target = urlsplit(f"{api.base_url}/echo/1")
    raw = (
        f"GET {target.path} HTTP/1.1\r\nHost: {target.netloc}\r\nX-Multi: first\r\n"
        "x-multi: second\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection((target.hostname, target.port), timeout=10) as sock:
        sock.sendall(raw)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk

    assert reply.startswith(b"HTTP/1.1 200")
    event = api.function.last_event()
    assert event["multiValueHeaders"]["X-Multi"] == ["first", "second"]
    assert event["headers"]["X-Multi"] == "second"


def test_the_proxy_response_is_mapped_to_http(api: Deployed) -> None:
    api.function.answer = _answer(
        {
            "statusCode": 201,
            "headers": {"X-Single": "s", "Content-Type": "text/plain"},
            "multiValueHeaders": {"X-Multi": ["1", "2"]},
            "body": "created ✓",
            "isBase64Encoded": False,
        }
    )

    response = send("GET", f"{api.base_url}/outbox")

    assert response.status_code == 201
    assert response.content == "created ✓".encode()
    assert response.headers["Content-Type"] == "text/plain"
    assert response.headers["X-Single"] == "s"
    assert response.headers["X-Multi"] == "1, 2"  # requests folds repeated headers


def test_a_base64_proxy_response_is_decoded(api: Deployed) -> None:
    payload = bytes(range(256))
    api.function.answer = _answer(
        {
            "statusCode": 200,
            "headers": {"Content-Type": "application/octet-stream"},
            "body": base64.b64encode(payload).decode(),
            "isBase64Encoded": True,
        }
    )

    response = send("GET", f"{api.base_url}/outbox")

    assert response.status_code == 200
    assert response.content == payload


@pytest.mark.parametrize("function_error", ["Unhandled", "Timeout", "Crash"])
def test_a_function_error_is_502(api: Deployed, function_error: str) -> None:
    api.function.answer = _answer(
        {"errorMessage": "boom", "errorType": "RuntimeError"}, function_error
    )

    response = send("GET", f"{api.base_url}/outbox")

    assert response.status_code == 502
    assert response.json() == {"message": "Internal server error"}


@pytest.mark.parametrize(
    "payload",
    [
        None,
        "just a string",
        {"body": "no status"},
        {"statusCode": "abc"},
        {"statusCode": 200, "body": {"not": "a string"}},
        {"statusCode": 200, "unexpected": True},
        {"statusCode": 200, "body": "!!", "isBase64Encoded": True},
        {"statusCode": 200, "headers": {"X": {"nested": 1}}},
    ],
    ids=[
        "null",
        "string",
        "no-status",
        "bad-status",
        "object-body",
        "extra-key",
        "bad-base64",
        "nested-header",
    ],
)
def test_a_malformed_proxy_response_is_502(api: Deployed, payload: Any) -> None:
    api.function.answer = _answer(payload)

    response = send("GET", f"{api.base_url}/outbox")

    assert response.status_code == 502
    assert response.json() == {"message": "Internal server error"}


def test_binary_request_bodies_reach_the_function_as_text(api: Deployed) -> None:
    # The API declares no binary media types, so API Gateway passes the payload as text.
    response = send(
        "POST",
        f"{api.base_url}/echo/bin",
        body=b"\x00\x01\xff",
        headers={"Content-Type": "application/octet-stream"},
        sign=False,
    )

    assert response.status_code == 200
    event = api.function.last_event()
    assert event["isBase64Encoded"] is False
    assert event["body"] == "\x00\x01\ufffd"


def test_concurrent_requests_are_served_in_parallel(api: Deployed) -> None:
    barrier = threading.Barrier(4, timeout=10)

    def slow(name: str, event: Any) -> InvokeResult:
        barrier.wait()  # only returns when four invocations run at the same time
        time.sleep(0.05)
        return InvokeResult({"statusCode": 200, "body": json.dumps(event["pathParameters"])})

    api.function.answer = slow
    with ThreadPoolExecutor(4) as pool:
        responses = list(
            pool.map(lambda i: send("GET", f"{api.base_url}/echo/{i}", sign=False), range(4))
        )

    assert sorted(r.json()["id"] for r in responses) == ["0", "1", "2", "3"]
