"""The API front's HTTP server under hostile input and load: framing the parser must refuse,
API Gateway's size quotas, timeouts, the bounded integration pool, many connections at once.

Raw sockets where a client library would fix the request up; every refusal carries API
Gateway's ``{"message": ...}`` shape.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from tests.apigw.apigw_support import (
    REGION,
    STAGE,
    Deployed,
    inbox_outbox_definition,
    send,
    take_messages,
)

from localcloud.apigw.front import ApiFront
from localcloud.apigw.front_limits import FrontLimits
from localcloud.apigw.server import PortInUseError
from localcloud.config import ACCESS_KEY_ID, SECRET_ACCESS_KEY
from localcloud.specs import InvokeResult, RestApiSpec

SMALL = FrontLimits(
    max_in_flight=2, integration_timeout_s=1.0, body_timeout_s=1.0, idle_timeout_s=1.0
)


@pytest.fixture(scope="module")
def small_front(deployed: Deployed) -> Iterator[ApiFront]:
    """A second front on the same API with small limits, so timeouts take a second."""
    front = ApiFront(
        [RestApiSpec("InboxOutboxApi", deployed.api_id, STAGE, inbox_outbox_definition())],
        deployed.function,
        deployed.endpoint_url,
        REGION,
        (ACCESS_KEY_ID, SECRET_ACCESS_KEY),
        port=0,
        limits=SMALL,
    )
    front.start()
    yield front
    front.stop()


def _address(url: str) -> tuple[str, int]:
    target = urlsplit(url)
    assert target.hostname and target.port
    return target.hostname, target.port


def _exchange(url: str, data: bytes, timeout: float = 10.0) -> bytes:
    """Send ``data`` and read until the server closes (or ``timeout`` passes: TimeoutError)."""
    with socket.create_connection(_address(url), timeout=timeout) as sock:
        sock.sendall(data)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    return reply


def _status_and_json(reply: bytes) -> tuple[int, Any]:
    head, _, body = reply.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), json.loads(body)


def _echo_target(api: Deployed) -> str:
    return f"{urlsplit(api.base_url).path}/echo/raw"


@pytest.mark.parametrize(
    "framing",
    [
        b"Transfer-Encoding: chunked\r\n\r\n-1\r\n",
        b"Transfer-Encoding: chunked\r\n\r\n0x10\r\n0123456789abcdef\r\n0\r\n\r\n",
        b"Transfer-Encoding: chunked\r\n\r\n1_0\r\n0123456789abcdef\r\n0\r\n\r\n",
        b"Content-Length: 2\r\nContent-Length: 3\r\n\r\nabc",
        b"Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
        b"Content-Length: 3\r\nX-A: 1\r\ncontent-length : 3\r\n\r\nabc",
        b"Content-Length: 2, 3\r\n\r\nabc",
        b"Content-Length: -1\r\n\r\nabc",
        b"Content-Length: 0x10\r\n\r\nabc",
        b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    ],
    ids=[
        "negative-chunk",
        "0x-chunk",
        "underscore-chunk",
        "conflicting-lengths",
        "repeated-equal-lengths",
        "repeated-lengths-any-case",
        "length-list",
        "negative-length",
        "hex-length",
        "length-and-chunked",
    ],
)
def test_unreadable_framing_is_400_json_and_the_function_is_not_called(
    api: Deployed, framing: bytes
) -> None:
    head = f"PUT {_echo_target(api)} HTTP/1.1\r\nHost: x\r\n".encode()

    reply = _exchange(api.front.url, head + framing)

    status, document = _status_and_json(reply)
    assert status == 400, reply[:300]
    assert document["message"].startswith("Bad Request")
    assert api.function.calls == []


def test_a_negative_chunk_size_is_refused_without_reading_on(api: Deployed) -> None:
    # The old server read "-1" as "read to the end" and buffered all it was sent (60 MB).
    with socket.create_connection(_address(api.front.url), timeout=5) as sock:
        sock.sendall(
            f"PUT {_echo_target(api)} HTTP/1.1\r\nHost: x\r\n"
            "Transfer-Encoding: chunked\r\n\r\n-1\r\n".encode()
            + b"x" * 65536
        )
        # The connection stays open from our side: the answer must not wait for its end.
        reply = sock.recv(65536)

    assert reply.startswith(b"HTTP/1.1 400"), reply[:200]


@pytest.mark.parametrize(
    "head",
    [
        "X-Big: " + "v" * 10_300 + "\r\n",
        "".join(f"X-H{i}: v\r\n" for i in range(1200)),
        "X-Huge: " + "v" * 70_000 + "\r\n",
    ],
    ids=["one-long-header", "many-headers", "past-the-parser-limit"],
)
def test_a_head_over_api_gateways_10240_bytes_is_431_json(api: Deployed, head: str) -> None:
    reply = _exchange(
        api.front.url,
        f"GET {_echo_target(api)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{head}\r\n".encode(),
    )

    assert _status_and_json(reply) == (431, {"message": "Request Header Fields Too Large"})
    assert api.function.calls == []


def test_a_head_just_under_the_limit_is_served(api: Deployed) -> None:
    response = send("GET", f"{api.base_url}/echo/h", headers={"X-Big": "v" * 9000}, sign=False)

    assert response.status_code == 200, response.text


@pytest.mark.parametrize("line", ["GET /\r\n\r\n", "GET\r\n\r\n", "\x16\x03\x01\r\n\r\n"])
def test_a_request_line_that_is_not_http_1_is_400_json(api: Deployed, line: str) -> None:
    reply = _exchange(api.front.url, line.encode("latin-1"))

    assert _status_and_json(reply) == (400, {"message": "Bad Request"})


def test_a_45_mb_body_gets_its_413_not_a_broken_pipe(api: Deployed, sqs: Any) -> None:
    # A client that sends the whole body before reading (curl, most SDKs) must see the 413:
    # the old server stopped reading at 40 MB and closed, so the client's send broke.
    size = 45 * 1024 * 1024
    target = f"{urlsplit(api.base_url).path}/inbox"
    with socket.create_connection(_address(api.front.url), timeout=30) as sock:
        sock.sendall(
            f"POST {target} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {size}\r\n\r\n".encode()
        )
        block = b"x" * (1 << 20)
        for _ in range(45):
            sock.sendall(block)
        reply = b""
        while b"\r\n\r\n" not in reply or not reply.endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            reply += chunk

    assert _status_and_json(reply) == (413, {"message": "Request Too Long"})
    assert take_messages(sqs, api.queue_url) == []


def test_a_streamed_body_over_10_mb_is_413(api: Deployed) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(11):
            yield b"x" * (1024 * 1024)

    response = requests.put(f"{api.base_url}/echo/big", data=chunks(), timeout=30)

    assert response.status_code == 413
    assert response.json() == {"message": "Request Too Long"}
    assert api.function.calls == []


def test_a_stalled_request_head_is_closed(api: Deployed, small_front: ApiFront) -> None:
    # An HTTP/0.9-style line never followed by the blank line used to hold a thread forever.
    # Our own timeout, far past the small front's head timeout, raises TimeoutError: an empty
    # reply is the server closing the connection.
    reply = _exchange(small_front.url, b"GET /\r\n", timeout=30)

    assert reply == b""


def test_a_stalled_body_is_408_json_and_closed(api: Deployed, small_front: ApiFront) -> None:
    base = urlsplit(api.base_url).path
    reply = _exchange(
        small_front.url,
        f"PUT {base}/echo/slow HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc".encode(),
        timeout=10,
    )

    assert _status_and_json(reply) == (408, {"message": "Request Timeout"})
    assert api.function.calls == []


def test_idle_connections_hold_no_threads(api: Deployed) -> None:
    before = threading.active_count()
    sockets = [socket.create_connection(_address(api.front.url), timeout=10) for _ in range(200)]
    try:
        for sock in sockets[::2]:
            sock.sendall(b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab")
        time.sleep(0.5)
        during = threading.active_count()
        healthy = requests.get(f"{api.front.url}/_localcloud/health", timeout=10)
    finally:
        for sock in sockets:
            sock.close()

    assert healthy.status_code == 200
    assert during - before < 10, (before, during)


def test_100_simultaneous_fresh_connections_are_all_answered(api: Deployed) -> None:
    start = threading.Barrier(100)
    health = f"{urlsplit(api.front.url).path}/_localcloud/health"

    def one() -> bytes:
        start.wait()
        return _exchange(
            api.front.url, f"GET {health} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
        )

    with ThreadPoolExecutor(100) as pool:
        results = list(pool.map(lambda _: _safe(one), range(100)))

    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == []
    assert all(isinstance(r, bytes) and r.startswith(b"HTTP/1.1 200") for r in results)


def _safe(call: Any) -> Any:
    try:
        return call()
    except (OSError, threading.BrokenBarrierError) as error:
        return error


def test_a_full_integration_pool_answers_429_at_once(api: Deployed, small_front: ApiFront) -> None:
    release = threading.Event()

    def blocked(name: str, event: Any) -> InvokeResult:
        release.wait(10)
        return InvokeResult({"statusCode": 200, "body": "{}"})

    api.function.answer = blocked
    url = f"{small_front.url}/restapis/{api.api_id}/{STAGE}/_user_request_/echo/p"
    with ThreadPoolExecutor(SMALL.max_in_flight) as pool:
        holders = [pool.submit(send, "GET", url, sign=False) for _ in range(SMALL.max_in_flight)]
        deadline = time.monotonic() + 5
        while len(api.function.calls) < SMALL.max_in_flight and time.monotonic() < deadline:
            time.sleep(0.02)
        extra = send("GET", url, sign=False)
        release.set()
        held = [holder.result(timeout=10) for holder in holders]

    assert extra.status_code == 429
    assert extra.json() == {"message": "Too Many Requests"}
    assert [r.status_code for r in held] == [200] * SMALL.max_in_flight
    assert send("GET", url, sign=False).status_code == 200  # slots come back


def test_an_integration_over_the_timeout_is_504(api: Deployed, small_front: ApiFront) -> None:
    released, finished = threading.Event(), threading.Event()

    def slow(name: str, event: Any) -> InvokeResult:
        # Held until the client has its answer, not slept for a while: on a loaded machine the
        # 504 could otherwise come after a fixed sleep ended.
        released.wait(60)
        finished.set()
        return InvokeResult({"statusCode": 200, "body": "{}"})

    api.function.answer = slow
    url = f"{small_front.url}/restapis/{api.api_id}/{STAGE}/_user_request_/echo/t"

    response = send("GET", url, sign=False)
    answered_while_running = not finished.is_set()
    released.set()

    assert response.status_code == 504
    assert response.json() == {"message": "Endpoint request timed out"}
    assert answered_while_running
    assert finished.wait(10)


def test_a_taken_api_port_is_a_clear_error(deployed: Deployed) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        front = ApiFront(
            [], deployed.function, deployed.endpoint_url, REGION, ("a", "b"), port=port
        )
        with pytest.raises(PortInUseError) as raised:
            front.start()

    assert f"Port {port}" in str(raised.value)
    assert "--api-port" in str(raised.value)


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
@pytest.mark.parametrize("mode", ["--http2-prior-knowledge", "--http2"], ids=["prior", "upgrade"])
def test_http2_cleartext_is_served(api: Deployed, mode: str) -> None:
    out = subprocess.run(
        ["curl", "-s", "-o", "/dev/null", "-w", "%{http_version} %{http_code}", mode,
         f"{api.front.url}/_localcloud/health"],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip

    assert out.stdout == "2 200", out


def test_stop_does_not_wait_for_a_client_stalled_mid_body(deployed: Deployed) -> None:
    front = ApiFront(
        [], deployed.function, deployed.endpoint_url, REGION, ("a", "b"), port=0
    )  # default limits: a stalled body would hold its connection for 30 s
    front.start()
    stalled = socket.create_connection(_address(front.url), timeout=10)
    stalled.sendall(b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab")
    try:
        thread_name = f"api-front-{_address(front.url)[1]}"
        front.stop()

        assert thread_name not in [thread.name for thread in threading.enumerate()]
        reply = stalled.recv(65536)  # what the server said before it closed the connection
        assert _status_and_json(reply) == (503, {"message": "Service Unavailable"})
        assert stalled.recv(100) == b""
    finally:
        stalled.close()


def test_a_repeated_content_length_split_across_packets_is_400(api: Deployed) -> None:
    with socket.create_connection(_address(api.front.url), timeout=10) as sock:
        sock.sendall(f"PUT {_echo_target(api)} HTTP/1.1\r\nHost: x\r\nContent-Le".encode())
        time.sleep(0.2)  # let the server read the first part on its own
        sock.sendall(b"ngth: 3\r\nContent-Length: 3\r\n\r\nabc")
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk

    status, document = _status_and_json(reply)
    assert status == 400, reply[:300]
    assert document == {"message": "Bad Request"}
    assert api.function.calls == []
