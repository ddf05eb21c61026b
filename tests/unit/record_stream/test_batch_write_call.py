"""SignedBatchWriteItem: the bytes botocore would send, and botocore's retry and error model."""

from __future__ import annotations

import json
import socket
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSPreparedRequest
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.httpsession import get_cert_path
from botocore.serialize import create_serializer

from record_stream.dal.batch_write_call import SignedBatchWriteItem
from record_stream.dal.clients import _config
from tests.unit.record_stream.moto_resources import PROCESSED_TABLE, RecordStreamAws
from tests.unit.record_stream.stream_faults import fail_calls, hold_back_items, observe_calls

# Strings that JSON escapes: quotes, backslashes, control characters, non-ASCII, astral plane.
AWKWARD = ["plain", 'quote " back \\ slash', "tab\tnew\nline\x00", "émoji 🧪 中文", "</script>"]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _request_items() -> dict[str, list[dict[str, Any]]]:
    items = [
        {"PK": {"S": text}, "SK": {"S": f"{i:05d}"}, "n": {"N": str(-(10**i))}}
        for i, text in enumerate(AWKWARD)
    ]
    return {PROCESSED_TABLE: [{"PutRequest": {"Item": item}} for item in items]}


def _call(client: Any, sleeps: list[float] | None = None) -> SignedBatchWriteItem:
    recorded = sleeps if sleeps is not None else []
    return SignedBatchWriteItem(
        client, boto3.session.Session().get_credentials(), 10, sleep=recorded.append
    )


def test_the_request_is_what_botocore_would_send(aws: RecordStreamAws) -> None:
    client = boto3.client("dynamodb", region_name="us-east-1", config=_config(10))
    call = _call(client)
    operation = client.meta.service_model.operation_model("BatchWriteItem")
    expected = create_serializer("json").serialize_to_request(
        {"RequestItems": _request_items()}, operation
    )
    sent: list[AWSPreparedRequest] = []
    client.meta.events.register_first(
        "before-send.dynamodb.BatchWriteItem", lambda request, **_: sent.append(request)
    )
    assert call.batch_write_item(RequestItems=_request_items())["UnprocessedItems"] == {}
    (request,) = sent
    assert request.body == expected["body"]
    assert request.method == expected["method"]
    assert request.url == client.meta.endpoint_url + expected["url_path"]
    for name, value in expected["headers"].items():
        assert request.headers[name] == value
    credentials = boto3.session.Session().get_credentials().get_frozen_credentials()
    authorization = request.headers["Authorization"]
    assert authorization.startswith(f"AWS4-HMAC-SHA256 Credential={credentials.access_key}/")
    assert "/us-east-1/dynamodb/aws4_request" in authorization
    assert request.headers["X-Amz-Security-Token"] == credentials.token
    # And moto, parsing it as DynamoDB would, stored every item as given.
    stored = aws.items()
    assert {key[0] for key in stored} == set(AWKWARD)
    assert all(json.dumps(item) for item in stored.values())


@pytest.mark.parametrize(
    ("code", "status", "attempts"),
    [
        # Config(retries={"max_attempts": 3}) is 3 retries: 4 attempts, as the boto3 client made.
        ("ProvisionedThroughputExceededException", 400, 4),  # throttling
        ("ThrottlingException", 400, 4),
        ("InternalServerError", 500, 4),  # 5xx
        ("ServiceUnavailable", 503, 4),
        ("ValidationException", 400, 1),  # the caller's fault: never retried
        ("ResourceNotFoundException", 400, 1),
    ],
)
def test_botocore_standard_retries_and_modeled_errors(
    aws: RecordStreamAws, code: str, status: int, attempts: int
) -> None:
    client = boto3.client("dynamodb", region_name="us-east-1", config=_config(10))
    sleeps: list[float] = []
    call = _call(client, sleeps)
    with (
        fail_calls(client, "dynamodb.BatchWriteItem", code, status=status) as log,
        pytest.raises(ClientError) as raised,
    ):
        call.batch_write_item(RequestItems=_request_items())
    assert log.calls == attempts
    assert len(sleeps) == attempts - 1
    assert raised.value.response["Error"]["Code"] == code
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    # The client's modeled class where DynamoDB models the error, as boto3 raises it.
    modeled = getattr(client.exceptions, code, None)
    if modeled is not None:
        assert isinstance(raised.value, modeled)
    assert aws.items() == {}


def test_connection_errors_are_retried_then_raised() -> None:
    # Nothing listens on this port: every attempt is refused.
    client = boto3.client(
        "dynamodb",
        region_name="us-east-1",
        endpoint_url=f"http://127.0.0.1:{_closed_port()}",
        config=_config(10),
    )
    sleeps: list[float] = []
    with (
        observe_calls(client, "dynamodb.BatchWriteItem") as log,
        pytest.raises(EndpointConnectionError),
    ):
        _call(client, sleeps).batch_write_item(RequestItems=_request_items())
    assert log.calls == 4
    assert len(sleeps) == 3


def test_the_connection_is_set_up_as_botocore_sets_up_its_own(aws: RecordStreamAws) -> None:
    # Without TCP_NODELAY every call waited ~40 ms on Nagle and the server's delayed ACK.
    client = boto3.client("dynamodb", region_name="us-east-1", config=_config(10))
    botocore_session = client._endpoint.http_session
    pool = _call(client).pool
    assert pool.conn_kw["socket_options"] == botocore_session._socket_options
    assert (pool.timeout.connect_timeout, pool.timeout.read_timeout) == (
        botocore_session._timeout.connect_timeout,
        botocore_session._timeout.read_timeout,
    )
    assert pool.pool is not None
    assert pool.pool.maxsize == botocore_session._max_pool_connections
    # TLS as botocore verifies it: required, against the CA bundle botocore ships with.
    assert pool.scheme == "https"
    assert pool.cert_reqs == "CERT_REQUIRED"
    assert pool.ca_certs == get_cert_path(True)


def test_a_proxy_is_left_to_botocores_session(
    aws: RecordStreamAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    client = boto3.client("dynamodb", region_name="us-east-1", config=_config(10))
    proxied = _call(client)._proxied
    assert proxied is not None
    assert proxied._proxy_config.proxy_url_for(client.meta.endpoint_url) == (
        "http://proxy.invalid:3128"
    )


def test_unprocessed_items_come_back_to_the_caller(aws: RecordStreamAws) -> None:
    client = boto3.client("dynamodb", region_name="us-east-1", config=_config(10))
    with hold_back_items(client, PROCESSED_TABLE, lambda item, attempt: item["SK"]["S"] == "00001"):
        response = _call(client).batch_write_item(RequestItems=_request_items())
    (held,) = response["UnprocessedItems"][PROCESSED_TABLE]
    assert held == _request_items()[PROCESSED_TABLE][1]
    assert len(aws.items()) == len(AWKWARD) - 1


def test_the_user_agent_names_the_lambda_runtime(
    aws: RecordStreamAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The local cloud's fault rules pick the functions' requests by it, as botocore sends it.
    monkeypatch.setenv("AWS_EXECUTION_ENV", "AWS_Lambda_python3.13")
    client = boto3.client("dynamodb", region_name="us-east-1", config=_config(10))
    with observe_calls(client, "dynamodb.BatchWriteItem"):
        sent: list[AWSPreparedRequest] = []
        client.meta.events.register_first(
            "before-send.dynamodb.BatchWriteItem", lambda request, **_: sent.append(request)
        )
        _call(client).batch_write_item(RequestItems=_request_items())
    assert "exec-env/AWS_Lambda_python3.13" in sent[0].headers["User-Agent"]
