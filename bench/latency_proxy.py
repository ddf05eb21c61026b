"""A small HTTP forwarder on loopback that adds a fixed delay per request and counts requests.

It stands for the network between a Lambda function and DynamoDB: every request waits
``--delay-ms`` before it is forwarded to the upstream (the moto server), so N sequential calls
cost at least N x delay while concurrent calls overlap. Requests are counted per AWS operation
(``X-Amz-Target`` for JSON protocols, ``Action=`` for query protocols), which is how the benchmark
gets "DynamoDB requests per record" independently of the client.

Run it as its own process, so forwarding never competes for the benchmark's GIL:

    python -m bench.latency_proxy --upstream http://127.0.0.1:5000 --delay-ms 10

It prints ``listening on PORT`` once ready. ``GET /__latency_proxy__/stats`` returns the counts as
JSON and ``POST /__latency_proxy__/reset`` zeroes them; everything else is forwarded.
With ``--answer-batch-writes`` (a diagnostic, never a test) it answers BatchWriteItem itself with
an empty UnprocessedItems after the delay: a DynamoDB that costs no CPU.
"""

from __future__ import annotations

import argparse
import http.client
import json
import threading
import time
import urllib.parse
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CONTROL_PREFIX = "/__latency_proxy__/"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade"}


class RequestCounts:
    """Thread-safe counts of forwarded requests by operation."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_operation: Counter[str] = Counter()

    def add(self, operation: str) -> None:
        with self._lock:
            self._by_operation[operation] += 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._by_operation)

    def reset(self) -> None:
        with self._lock:
            self._by_operation.clear()


def operation_of(headers: dict[str, str], body: bytes) -> str:
    """`DynamoDB_20120810.BatchWriteItem`, or `Action=SendMessage` style for query protocols."""
    target = headers.get("x-amz-target")
    if target:
        return target
    fields = urllib.parse.parse_qs(body.decode("utf-8", "replace")) if body else {}
    return fields.get("Action", ["unknown"])[0]


class _Upstream(threading.local):
    """One keep-alive connection to the upstream per proxy thread."""

    connection: http.client.HTTPConnection | None = None


NULL_BATCH_WRITE = "DynamoDB_20120810.BatchWriteItem"


def make_handler(
    upstream: urllib.parse.SplitResult,
    delay_s: float,
    counts: RequestCounts,
    answer_batch_writes: bool = False,
) -> type[BaseHTTPRequestHandler]:
    local = _Upstream()

    class ForwardingHandler(BaseHTTPRequestHandler):
        # HTTP/1.1 so botocore's urllib3 pool keeps its connections open (as against AWS).
        protocol_version = "HTTP/1.1"
        # Headers and body written separately, with Nagle and the client's delayed ACK, would add
        # ~40 ms per response: buffer the response (handle_one_request flushes it once) and
        # send without delay.
        wbufsize = 64 * 1024
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: object) -> None:
            return  # one line per request would cost more than the forwarding

        def _reply(self, status: int, body: bytes, content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _control(self) -> None:
            if self.path.endswith("/stats"):
                self._reply(200, json.dumps(counts.snapshot()).encode())
            elif self.path.endswith("/reset"):
                counts.reset()
                self._reply(200, b"{}")
            else:
                self._reply(404, b"{}")

        def _forward(self) -> None:
            if self.path.startswith(CONTROL_PREFIX):
                self._control()
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            operation = operation_of({k.lower(): v for k, v in headers.items()}, body)
            counts.add(operation)
            time.sleep(delay_s)  # the simulated network, paid by every request
            if answer_batch_writes and operation == NULL_BATCH_WRITE:
                # Diagnostic "null DynamoDB": the write costs no server CPU at all, which shows
                # what the client side reaches when the server is not the ceiling.
                json.loads(body)
                self._reply(200, b'{"UnprocessedItems": {}}', "application/x-amz-json-1.0")
                return
            status, reason, response_headers, response_body = self._send_upstream(headers, body)
            self.send_response(status, reason)
            for name, value in response_headers:
                if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(response_body)))
            self.end_headers()
            self.wfile.write(response_body)

        def _send_upstream(
            self, headers: dict[str, str], body: bytes
        ) -> tuple[int, str, list[tuple[str, str]], bytes]:
            for attempt in (1, 2):
                connection = local.connection or http.client.HTTPConnection(
                    upstream.hostname or "127.0.0.1", upstream.port or 80, timeout=60
                )
                local.connection = connection
                try:
                    connection.request(self.command, self.path, body=body, headers=headers)
                    response = connection.getresponse()
                    data = response.read()
                    if response.will_close:
                        connection.close()
                        local.connection = None
                    return response.status, response.reason, response.getheaders(), data
                except (ConnectionError, http.client.HTTPException):
                    # The upstream closed an idle keep-alive connection: reconnect once.
                    connection.close()
                    local.connection = None
                    if attempt == 2:
                        raise
            raise AssertionError("unreachable")

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _forward

    return ForwardingHandler


class LatencyProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256


def serve(
    upstream_url: str, delay_ms: float, port: int = 0, answer_batch_writes: bool = False
) -> LatencyProxyServer:
    """Bind the proxy (port 0 picks a free one); the caller runs serve_forever()."""
    upstream = urllib.parse.urlsplit(upstream_url)
    handler = make_handler(upstream, delay_ms / 1000, RequestCounts(), answer_batch_writes)
    return LatencyProxyServer(("127.0.0.1", port), handler)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True, help="e.g. http://127.0.0.1:5000")
    parser.add_argument("--delay-ms", type=float, default=10.0)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--answer-batch-writes",
        action="store_true",
        help="diagnostic: answer BatchWriteItem itself (success) instead of forwarding it",
    )
    args = parser.parse_args()
    server = serve(args.upstream, args.delay_ms, args.port, args.answer_batch_writes)
    print(f"listening on {server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
