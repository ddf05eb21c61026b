"""The proxy's upstream connections: one the upstream closed is not reused, and an upstream that
closes without answering is a 502 with API Gateway's ``{"message"}`` shape.

Found by `make test` running the suites side by side: the API front (hypercorn) closes a
keep-alive connection idle for its timeout, and the proxy sent the next request of a client it
kept on down that closed connection, answering 400 "can't handle event type ConnectionClosed".
The upstream here is a socket server that does what the front does then.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from localcloud.proxy.ca import load_or_create_ca
from localcloud.proxy.hosts import Upstream
from localcloud.proxy.server import AwsProxy

StartProxy = Callable[["ClosingUpstream"], AwsProxy]

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"


class ClosingUpstream:
    """Answers each connection's first request (keep-alive, no ``Connection: close``) and then
    closes it, as a server does with a connection idle past its keep-alive timeout; with
    ``answer=False`` it closes after reading the request, without answering."""

    def __init__(self, *, answer: bool) -> None:
        self._answer = answer
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.address = self._listener.getsockname()
        self.connections = 0
        self.closed = threading.Semaphore(0)
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            with connection:
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = connection.recv(4096)
                    if not chunk:
                        break
                    head += chunk
                if self._answer:
                    connection.sendall(ANSWER)
            self.closed.release()

    def stop(self) -> None:
        self._listener.close()


@pytest.fixture
def proxy_to(tmp_path: Path) -> Iterator[StartProxy]:
    started: list[tuple[AwsProxy, ClosingUpstream]] = []

    def start(upstream: ClosingUpstream) -> AwsProxy:
        proxy = AwsProxy(load_or_create_ca(tmp_path), {Upstream.MOTO: upstream.address}, port=0)
        proxy.start()
        started.append((proxy, upstream))
        return proxy

    yield start
    for proxy, upstream in started:
        proxy.stop()
        upstream.stop()


def _kept_on(proxy: AwsProxy) -> requests.Session:
    session = requests.Session()
    session.proxies = {"http": proxy.url}
    session.trust_env = False
    return session


def test_a_connection_the_upstream_closed_is_not_reused(proxy_to: StartProxy) -> None:
    upstream = ClosingUpstream(answer=True)
    proxy = proxy_to(upstream)
    client = _kept_on(proxy)  # one client connection to the proxy for both requests

    first = client.get("http://sqs.us-east-1.amazonaws.com/", timeout=30)
    assert upstream.closed.acquire(timeout=30)
    time.sleep(0.2)  # the upstream's FIN reaches the proxy before the next request does
    second = client.get("http://sqs.us-east-1.amazonaws.com/", timeout=30)

    assert (first.status_code, first.text) == (200, "ok")
    assert (second.status_code, second.text) == (200, "ok")
    assert upstream.connections == 2


def test_an_upstream_closing_without_an_answer_is_a_502_message(proxy_to: StartProxy) -> None:
    proxy = proxy_to(ClosingUpstream(answer=False))

    answer = _kept_on(proxy).get("http://sqs.us-east-1.amazonaws.com/", timeout=30)

    assert answer.status_code == 502
    assert answer.json() == {
        "message": "localcloud proxy: the local cloud closed the connection without answering"
    }
