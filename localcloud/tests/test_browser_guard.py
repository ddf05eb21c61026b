"""A web page in the developer's browser cannot drive the local cloud: real HTTP with Origin.

A browser sends ``Origin`` on every cross-origin request, sends "simple" requests (form POSTs,
``text/plain``) without asking first, and preflights the rest with ``OPTIONS``. These tests
send what such a page would, to a real server.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests

from localcloud.browser_guard import is_local_host, normalise_origins, origins_from_env
from localcloud.faults import CONTROL_PATH
from localcloud.server import LocalCloudServer

EVIL = "https://evil.example"
LOCAL_APP = "http://localhost:3000"
# What SigV4 clients send; moto needs a scope to pick the service, not a valid signature.
SQS_SCOPE = "AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/sqs/aws4_request, Signature=0"


def _server(origins: tuple[str, ...]) -> Iterator[LocalCloudServer]:
    server = LocalCloudServer(port=0, cors_allow_origins=origins)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def default_server() -> Iterator[LocalCloudServer]:
    yield from _server(())


@pytest.fixture(scope="module")
def app_server() -> Iterator[LocalCloudServer]:
    yield from _server((LOCAL_APP,))


def _queue(server: LocalCloudServer, name: str) -> str:
    sqs = boto3.client("sqs", endpoint_url=server.url, region_name="us-east-1")
    return str(sqs.create_queue(QueueName=name)["QueueUrl"])


def _queue_names(server: LocalCloudServer) -> list[str]:
    sqs = boto3.client("sqs", endpoint_url=server.url, region_name="us-east-1")
    return [url.rsplit("/", 1)[1] for url in sqs.list_queues().get("QueueUrls", [])]


def _no_grant(response: requests.Response) -> None:
    assert "Access-Control-Allow-Origin" not in response.headers


def test_a_foreign_page_can_neither_read_nor_change_data(default_server: LocalCloudServer) -> None:
    _queue(default_server, "guarded-queue")
    # What fetch() sends for a read: Origin, no preflight for a simple GET.
    read = requests.get(
        default_server.url,
        params={"Action": "ListQueues"},
        headers={"Origin": EVIL, "Authorization": SQS_SCOPE},
        timeout=10,
    )
    assert read.status_code == 403
    _no_grant(read)
    assert "guarded-queue" not in read.text
    # A form POST needs no preflight: it must not run at all.
    form = requests.post(
        default_server.url,
        data={
            "Action": "DeleteQueue",
            "QueueUrl": f"{default_server.url}/123456789012/guarded-queue",
        },
        headers={"Origin": EVIL, "Authorization": SQS_SCOPE},
        timeout=10,
    )
    assert form.status_code == 403
    _no_grant(form)
    assert "guarded-queue" in _queue_names(default_server)


def test_a_cross_site_request_without_origin_is_refused(default_server: LocalCloudServer) -> None:
    # <img src="http://127.0.0.1:4566/?Action=..."> sends no Origin, but Sec-Fetch-Site says.
    answer = requests.get(
        default_server.url,
        params={"Action": "ListQueues"},
        headers={"Sec-Fetch-Site": "cross-site", "Authorization": SQS_SCOPE},
        timeout=10,
    )
    assert answer.status_code == 403


def test_a_foreign_preflight_gets_no_grant(default_server: LocalCloudServer) -> None:
    answer = requests.options(
        default_server.url,
        headers={
            "Origin": EVIL,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-amz-target",
        },
        timeout=10,
    )
    assert answer.status_code == 403
    _no_grant(answer)
    assert "Access-Control-Allow-Methods" not in answer.headers


def test_sdk_clients_are_unaffected_and_get_no_cors_headers(
    default_server: LocalCloudServer,
) -> None:
    _queue(default_server, "sdk-queue")
    answer = requests.get(
        default_server.url,
        params={"Action": "ListQueues"},
        headers={"Authorization": SQS_SCOPE},
        timeout=10,
    )
    assert answer.status_code == 200
    assert "sdk-queue" in answer.text
    _no_grant(answer)


def test_the_control_endpoints_refuse_web_pages(default_server: LocalCloudServer) -> None:
    url = default_server.url + CONTROL_PATH
    rule = '{"service": "sqs", "operation": "*", "kind": "error", "source": "any"}'
    # A text/plain POST is "simple": a page can send it cross-origin without a preflight.
    foreign = requests.post(
        url, data=rule, headers={"Origin": EVIL, "Content-Type": "text/plain"}, timeout=10
    )
    assert foreign.status_code == 403
    not_json = requests.post(url, data=rule, headers={"Content-Type": "text/plain"}, timeout=10)
    assert not_json.status_code == 415
    assert "application/json" in not_json.json()["message"]
    assert requests.get(url, headers={"Origin": EVIL}, timeout=10).status_code == 403
    assert requests.get(url, timeout=10).json()["rules"] == []  # nothing was added
    preflight = requests.options(
        url,
        headers={"Origin": EVIL, "Access-Control-Request-Method": "DELETE"},
        timeout=10,
    )
    assert preflight.status_code == 403
    _no_grant(preflight)


def test_the_control_endpoints_answer_the_developers_tools(
    default_server: LocalCloudServer,
) -> None:
    url = default_server.url + CONTROL_PATH
    added = requests.post(
        url,
        json={"service": "sqs", "operation": "SendMessage", "kind": "error", "max_hits": 0},
        timeout=10,
    )
    assert added.status_code == 201
    bad_id = requests.delete(url, params={"id": "abc"}, timeout=10)
    assert bad_id.status_code == 400
    assert "id" in bad_id.json()["message"]
    assert requests.delete(url, timeout=10).status_code == 200
    pollers = requests.get(default_server.url + "/_localcloud/pollers", timeout=10)
    assert pollers.status_code == 200
    assert pollers.json() == {"pollers": []}


def test_an_allowed_origin_gets_cors_and_others_do_not(app_server: LocalCloudServer) -> None:
    _queue(app_server, "app-queue")
    read = requests.get(
        app_server.url,
        params={"Action": "ListQueues"},
        headers={"Origin": LOCAL_APP, "Authorization": SQS_SCOPE},
        timeout=10,
    )
    assert read.status_code == 200
    assert read.headers["Access-Control-Allow-Origin"] == LOCAL_APP
    assert "Origin" in read.headers["Vary"]
    preflight = requests.options(
        app_server.url,
        headers={
            "Origin": LOCAL_APP,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-amz-target,authorization",
        },
        timeout=10,
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == LOCAL_APP
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert preflight.headers["Access-Control-Allow-Headers"] == (
        "content-type,x-amz-target,authorization"
    )
    other = requests.get(
        app_server.url,
        params={"Action": "ListQueues"},
        headers={"Origin": "http://localhost:3001", "Authorization": SQS_SCOPE},
        timeout=10,
    )
    assert other.status_code == 403
    # Allowing an app to call AWS APIs does not let it drive the local cloud itself.
    control = requests.get(app_server.url + CONTROL_PATH, headers={"Origin": LOCAL_APP}, timeout=10)
    assert control.status_code == 403


def test_same_origin_requests_pass(default_server: LocalCloudServer) -> None:
    answer = requests.get(
        default_server.url + CONTROL_PATH, headers={"Origin": default_server.url}, timeout=10
    )
    assert answer.status_code == 200


def test_a_rebound_domain_is_refused(default_server: LocalCloudServer) -> None:
    # DNS rebinding: evil.example now resolves to 127.0.0.1, so the page is "same-origin"
    # and a GET carries no Origin at all; only the Host header says where it came from.
    port = default_server.port
    answer = requests.get(
        default_server.url,
        params={"Action": "ListQueues"},
        headers={"Host": f"evil.example:{port}", "Authorization": SQS_SCOPE},
        timeout=10,
    )
    assert answer.status_code == 403
    assert "not a local name" in answer.json()["message"]
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", "sqs.us-east-1.amazonaws.com"):
        assert is_local_host(host), host
    assert is_local_host(f"[::1]:{port}")
    assert not is_local_host("127.0.0.1.evil.example")


def test_origins_come_from_the_environment_and_are_normalised() -> None:
    env: dict[str, Any] = {"LOCALCLOUD_CORS_ORIGINS": " http://localhost:3000/ ,http://a:1,,"}
    assert origins_from_env(env) == ("http://localhost:3000", "http://a:1")
    assert normalise_origins(["http://a:1", "http://a:1/"]) == ("http://a:1",)
