"""The front's URL space and its answers to odd client input: 4xx, never 5xx."""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from tests.apigw.apigw_support import STAGE, Deployed, send, take_messages

from localcloud.specs import InvokeResult


def _raw_http(url: str, request_head: str, body: bytes = b"") -> bytes:
    target = urlsplit(url)
    assert target.hostname and target.port
    with socket.create_connection((target.hostname, target.port), timeout=10) as sock:
        sock.sendall(request_head.encode("latin-1") + body)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    return reply


def test_health_reports_the_served_apis(api: Deployed) -> None:
    response = requests.get(f"{api.front.url}/_localcloud/health", timeout=10)

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "apis": [{"apiId": api.api_id, "stage": STAGE}]}


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/nowhere"), ("DELETE", "/inbox"), ("POST", "/outbox"), ("GET", "/echo")],
    ids=["unknown-path", "unknown-method", "wrong-method", "missing-param-segment"],
)
def test_unknown_routes_are_missing_a_token_signed_or_not(
    api: Deployed, method: str, path: str
) -> None:
    for sign in (True, False):
        response = send(method, f"{api.base_url}{path}", sign=sign)

        assert response.status_code == 403, (sign, response.text)
        assert response.json() == {"message": "Missing Authentication Token"}
    assert api.function.calls == []


def test_an_unknown_stage_is_forbidden(api: Deployed) -> None:
    response = send("GET", f"{api.front.url}/restapis/{api.api_id}/prod/_user_request_/outbox")

    assert response.status_code == 403
    assert response.json() == {"message": "Forbidden"}


def test_an_unknown_api_is_not_found(api: Deployed) -> None:
    response = send("GET", f"{api.front.url}/restapis/nosuchapi/{STAGE}/_user_request_/outbox")

    assert response.status_code == 404
    assert "nosuchapi" in response.json()["message"]


@pytest.mark.parametrize("suffix", ["", "/", "/x/y"])
def test_a_known_api_outside_user_request_is_forbidden(api: Deployed, suffix: str) -> None:
    # ``{base}/..`` resolves to ``/restapis/{api}/{stage}`` in the client, as ``/{stage}/..``
    # resolves to the host's root on AWS, which answers Forbidden there too.
    for path in (f"/restapis/{api.api_id}/{STAGE}{suffix}", f"/restapis/{api.api_id}{suffix}"):
        response = send("GET", f"{api.front.url}{path}", sign=False)

        assert response.status_code == 403, path
        assert response.json() == {"message": "Forbidden"}


@pytest.mark.parametrize("path", ["/restapis/x/y/z", "/restapis/x/y/z/w"])
def test_paths_outside_the_api_form_are_404(api: Deployed, path: str) -> None:
    response = requests.get(f"{api.front.url}{path}", timeout=10)

    assert response.status_code == 404


@pytest.mark.parametrize("path", ["/", "/favicon.ico", "/restapis"])
def test_the_only_apis_root_and_unknown_stages_are_forbidden(api: Deployed, path: str) -> None:
    # With one API deployed the front's root is that API's host root (``/{stage}/...``), where
    # AWS answers Forbidden outside every stage.
    response = requests.get(f"{api.front.url}{path}", timeout=10)

    assert response.status_code == 403
    assert response.json() == {"message": "Forbidden"}


def test_a_trailing_slash_reaches_the_same_route(api: Deployed) -> None:
    response = send("GET", f"{api.base_url}/outbox/")

    assert response.status_code == 200, response.text
    assert api.function.last_event()["requestContext"]["resourcePath"] == "/outbox"


def test_an_oversized_body_is_413_before_anything_else(api: Deployed, sqs: Any) -> None:
    body = b"x" * (10 * 1024 * 1024 + 1)

    response = send("POST", f"{api.base_url}/inbox", body=body, sign=False)

    assert response.status_code == 413
    assert response.json() == {"message": "Request Too Long"}
    assert take_messages(sqs, api.queue_url) == []


def test_a_chunked_body_is_read(api: Deployed) -> None:
    def chunks() -> Any:
        yield b'{"id": "chunked", '
        yield b'"message": "in pieces"}'

    response = requests.put(
        f"{api.base_url}/echo/c", data=chunks(), timeout=10, headers={"Content-Type": "a/b"}
    )

    assert response.status_code == 200, response.text
    assert api.function.last_event()["body"] == '{"id": "chunked", "message": "in pieces"}'


def test_an_unknown_http_method_is_403_not_501(api: Deployed) -> None:
    reply = _raw_http(
        f"{api.base_url}/inbox",
        f"FROB {urlsplit(api.base_url).path}/inbox HTTP/1.1\r\nHost: x\r\n"
        "Connection: close\r\n\r\n",
    )

    assert reply.startswith(b"HTTP/1.1 403"), reply[:200]


@pytest.mark.parametrize(
    "query",
    ["a", "=", "&&&", "a=1&a=2&a=", "%zz=%", "q=%E2%9C%93", "x=" + "y" * 8000, "a=b=c"],
    ids=["bare-key", "bare-equals", "ampersands", "repeats", "bad-escapes", "utf8", "long", "eq"],
)
def test_odd_query_strings_pass_through(api: Deployed, query: str) -> None:
    path = f"{urlsplit(api.base_url).path}/echo/q?{query}"
    reply = _raw_http(api.base_url, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")

    assert reply.startswith(b"HTTP/1.1 200"), reply[:300]
    assert api.function.last_event()["requestContext"]["path"] == f"/{STAGE}/echo/q"


def test_the_query_string_is_decoded_like_api_gateway(api: Deployed) -> None:
    reply = _raw_http(
        api.base_url,
        f"GET {urlsplit(api.base_url).path}/echo/q?a=b=c&k&sp=x+y%2Bz&u=%E2%9C%93 HTTP/1.1\r\n"
        "Host: x\r\nConnection: close\r\n\r\n",
    )

    assert reply.startswith(b"HTTP/1.1 200")
    assert api.function.last_event()["queryStringParameters"] == {
        "a": "b=c",
        "k": "",
        "sp": "x y+z",
        "u": "✓",
    }


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": ""},
        {"Content-Type": ";;;"},
        {"Content-Type": "application/json; charset=nonsense"},
        {"X-Amz-Date": "yesterday", "Authorization": "AWS4-HMAC-SHA256 Credential=a/b"},
        {
            "Authorization": "AWS4-HMAC-SHA256 Credential=localcloud/x/y/z/aws4_request, "
            "SignedHeaders=host, Signature=00"
        },
        {"X-Very-Long": "v" * 6000},
    ],
    ids=["empty-ct", "junk-ct", "bad-charset", "bad-date", "bad-scope", "long-header"],
)
def test_odd_headers_never_cause_a_5xx(api: Deployed, headers: dict[str, str]) -> None:
    for path in ("/inbox", "/outbox", "/echo/h"):
        response = send(
            "POST" if path == "/inbox" else "GET",
            f"{api.base_url}{path}",
            body=b'{"id": "h", "message": "m"}',
            headers=headers,
            sign=False,
        )

        assert response.status_code < 500, (path, response.status_code, response.text)


def test_an_integration_failure_is_a_5xx_and_the_server_keeps_serving(api: Deployed) -> None:
    def explode(name: str, event: Any) -> InvokeResult:
        raise RuntimeError("the invoker itself broke")

    api.function.answer = explode
    broken = send("GET", f"{api.base_url}/echo/1", sign=False)
    api.function.answer = lambda name, event: InvokeResult({"statusCode": 204})
    healthy = send("GET", f"{api.base_url}/echo/2", sign=False)

    assert broken.status_code == 502
    assert broken.json() == {"message": "Internal server error"}
    assert healthy.status_code == 204
