"""The proxy mode's CONNECT proxy between stock clients and the local cloud: requests to the
stack's execute-api host reach the API front (host routing picks the API, SigV4 is verified
against that host), SDK calls to AWS's default endpoints reach moto, and any other host is
refused without a connection."""

from __future__ import annotations

import http.client
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import requests
from botocore.config import Config
from requests_aws4auth import AWS4Auth
from tests.apigw.apigw_support import REGION, STAGE, Deployed

from localcloud.config import ACCESS_KEY_ID, SECRET_ACCESS_KEY
from localcloud.proxy.ca_files import CaFiles
from localcloud.proxy.server import AwsProxy
from localcloud.proxy.start import start_proxy


@pytest.fixture(scope="module")
def proxy(deployed: Deployed, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AwsProxy]:
    started = start_proxy(
        tmp_path_factory.mktemp("state"),
        moto_url=deployed.endpoint_url,
        api_front_url=deployed.front.url,
        host="127.0.0.1",
        port=0,
    )
    yield started
    started.stop()


@pytest.fixture(scope="module")
def ca(proxy: AwsProxy) -> CaFiles:
    return proxy._ca.files


def _session(proxy: AwsProxy, ca: CaFiles) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # only what the test gives it
    session.proxies = {"https": proxy.url, "http": proxy.url}
    session.verify = str(ca.bundle)
    return session


def test_the_execute_api_url_reaches_the_api_signed_for_its_host(
    api: Deployed, proxy: AwsProxy, ca: CaFiles
) -> None:
    url = f"https://{api.api_id}.execute-api.{REGION}.amazonaws.com/{STAGE}/outbox"
    with _session(proxy, ca) as session:
        signed = session.get(
            url,
            auth=AWS4Auth(ACCESS_KEY_ID, SECRET_ACCESS_KEY, REGION, "execute-api"),
            timeout=30,
        )
        unsigned = session.get(url, timeout=30)
        echoed = session.get(url.replace("/outbox", "/echo/a%20b"), timeout=30)

    assert signed.status_code == 200, signed.text
    assert unsigned.status_code == 403
    assert unsigned.json() == {"message": "Missing Authentication Token"}
    assert echoed.status_code == 200, echoed.text
    event = api.function.last_event()
    assert event["path"] == "/echo/a b"
    assert event["headers"]["Host"] == f"{api.api_id}.execute-api.{REGION}.amazonaws.com"


def test_sdk_calls_to_default_endpoints_reach_moto(
    deployed: Deployed, proxy: AwsProxy, ca: CaFiles
) -> None:
    sqs = boto3.client(
        "sqs",
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
        verify=str(ca.bundle),
        config=Config(proxies={"https": proxy.url}),
    )

    urls = sqs.list_queues()["QueueUrls"]

    assert deployed.queue_url.rsplit("/", 1)[1] in [url.rsplit("/", 1)[1] for url in urls]
    assert sqs.meta.endpoint_url == "https://sqs.us-east-1.amazonaws.com"


def test_a_plain_http_request_to_an_aws_host_is_forwarded(
    deployed: Deployed, proxy: AwsProxy, ca: CaFiles
) -> None:
    with _session(proxy, ca) as session:
        answer = session.get(f"http://{deployed.api_id}.execute-api.{REGION}.amazonaws.com/")

    assert answer.status_code == 403  # the API's host root, outside every stage
    assert answer.json() == {"message": "Forbidden"}


def test_the_tunnel_outlives_upstream_connections(
    deployed: Deployed, proxy: AwsProxy, ca: CaFiles
) -> None:
    # The moto port closes after each response; the client's tunnel must stay (a new CONNECT
    # and TLS handshake per SDK call cost ~100 ms each).
    context = ssl.create_default_context(cafile=str(ca.cert))
    connection = http.client.HTTPSConnection("127.0.0.1", proxy.port, context=context, timeout=30)
    connection.set_tunnel("sqs.us-east-1.amazonaws.com", 443)
    sockets = []
    try:
        for _ in range(3):
            connection.request(
                "POST",
                "/",
                body="Action=ListQueues",
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Authorization": "AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/sqs/"
                    "aws4_request, SignedHeaders=host, Signature=x",
                },
            )
            answer = connection.getresponse()
            assert answer.status == 200
            assert b"ListQueuesResponse" in answer.read()
            assert not answer.will_close
            sockets.append(connection.sock)
    finally:
        connection.close()
    assert sockets[0] is sockets[1] is sockets[2]


def _raw(proxy: AwsProxy, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        sock.sendall(request)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    return reply


@pytest.mark.parametrize(
    "request_line",
    [
        b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
        b"CONNECT amazonaws.com.evil.example:443 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n",
    ],
    ids=["connect", "lookalike", "plain-http"],
)
def test_a_host_that_is_not_aws_is_refused_with_a_message(
    proxy: AwsProxy, request_line: bytes
) -> None:
    reply = _raw(proxy, request_line)

    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 502 "), reply
    assert b"is not an AWS endpoint" in body
    assert b"connects nowhere else" in body


def test_a_request_that_is_not_http_is_a_400(proxy: AwsProxy) -> None:
    reply = _raw(proxy, b"\x16\x03\x01 not a request line\r\n\r\n")

    assert reply.startswith(b"HTTP/1.1 400 "), reply


def test_a_client_that_does_not_trust_the_ca_is_refused_by_its_own_tls(
    api: Deployed, proxy: AwsProxy, tmp_path: Path
) -> None:
    url = f"https://{api.api_id}.execute-api.{REGION}.amazonaws.com/{STAGE}/echo/1"
    with requests.Session() as session:
        session.trust_env = False
        session.proxies = {"https": proxy.url}
        with pytest.raises(requests.exceptions.SSLError):
            session.get(url, timeout=30)  # certifi's roots only
    assert api.function.calls == []
