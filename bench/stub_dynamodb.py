"""A CPU-free stand-in for DynamoDB: answers BatchWriteItem after a fixed delay, counting.

Run in its own process so its work never shares the benchmark's GIL:

    python -m bench.stub_dynamodb --delay-ms 10

It prints ``listening on PORT`` once ready. Every ``POST`` is answered ``200
{"UnprocessedItems": {}}`` after ``--delay-ms`` (the simulated network and service time; requests
wait concurrently, as they would on the wire), and counted by its ``X-Amz-Target`` together with
the puts in its body. ``GET /__stub__/stats`` returns the counts as JSON and ``POST
/__stub__/reset`` zeroes them. moto spends 6-7 ms of CPU per 25-item BatchWriteItem, which caps
any client on a shared machine; this server spends well under a millisecond, so what a benchmark
measures against it is the client.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from collections import Counter

CONTROL_PREFIX = "/__stub__/"
BATCH_WRITE_TARGET = "DynamoDB_20120810.BatchWriteItem"
BATCH_WRITE_ANSWER = b'{"UnprocessedItems": {}}'


class Counts:
    """Requests by target and puts seen in BatchWriteItem bodies (one event loop: no lock)."""

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.items = 0

    def add(self, target: str, body: bytes) -> None:
        self.requests[target] += 1
        if target == BATCH_WRITE_TARGET:
            self.items += sum(len(puts) for puts in json.loads(body)["RequestItems"].values())

    def snapshot(self) -> dict[str, object]:
        return {"requests": dict(self.requests), "items": self.items}

    def reset(self) -> None:
        self.requests.clear()
        self.items = 0


def _response(status: int, body: bytes, content_type: str = "application/x-amz-json-1.0") -> bytes:
    head = (
        f"HTTP/1.1 {status} {'OK' if status == 200 else 'Not Found'}\r\n"
        f"Content-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n"
        "x-amzn-RequestId: stub\r\n\r\n"
    )
    return head.encode("ascii") + body


async def _serve_connection(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay_s: float, counts: Counts
) -> None:
    """HTTP/1.1 keep-alive, one request at a time per connection (as botocore's urllib3 sends)."""
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            request_line, *header_lines = head.decode("latin-1").split("\r\n")
            method, path, _ = request_line.split(" ", 2)
            headers = {}
            for line in header_lines:
                name, _, value = line.partition(":")
                if name:
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            if path.startswith(CONTROL_PREFIX):
                if path.endswith("/reset"):
                    counts.reset()
                answer = json.dumps(counts.snapshot()).encode()
                writer.write(_response(200, answer, "application/json"))
            else:
                counts.add(headers.get("x-amz-target", method), body)
                await asyncio.sleep(delay_s)
                writer.write(_response(200, BATCH_WRITE_ANSWER))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def serve(delay_ms: float, port: int) -> None:
    counts = Counts()
    server = await asyncio.start_server(
        lambda reader, writer: _serve_connection(reader, writer, delay_ms / 1000, counts),
        "127.0.0.1",
        port,
        backlog=256,
    )
    print(f"listening on {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay-ms", type=float, default=10.0)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.delay_ms, args.port))


if __name__ == "__main__":
    main()
