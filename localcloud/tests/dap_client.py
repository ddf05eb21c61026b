"""A Debug Adapter Protocol client over a socket: what VS Code does when it attaches to debugpy.

DAP messages are JSON bodies behind a ``Content-Length`` header. Responses are matched to their
request by ``request_seq``; events are queued in arrival order for the test to wait on.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import queue
import socket
import threading
import time
from typing import Any


class DapError(RuntimeError):
    pass


class DapClient:
    def __init__(self, host: str, port: int, timeout_s: float = 30.0) -> None:
        self._timeout_s = timeout_s
        self._socket = self._connect(host, port, timeout_s)
        self._socket.settimeout(None)  # the reader waits as long as the session lasts
        self._file = self._socket.makefile("rb")
        self._seq = itertools.count(1)
        self._write_lock = threading.Lock()
        self._responses: dict[int, queue.Queue[dict[str, Any]]] = {}
        self._responses_lock = threading.Lock()
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self._reader = threading.Thread(target=self._read_all, name="dap-reader", daemon=True)
        self._reader.start()

    @staticmethod
    def _connect(host: str, port: int, timeout_s: float) -> socket.socket:
        """The worker starts listening a moment after it spawns: retry until it does."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                return socket.create_connection((host, port), timeout=timeout_s)
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def _read_all(self) -> None:
        with contextlib.suppress(OSError, ValueError):  # closed by close()
            self._read_messages()

    def _read_messages(self) -> None:
        while True:
            headers: dict[str, str] = {}
            while (line := self._file.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("ascii").partition(":")
                headers[name.strip().lower()] = value.strip()
            if not headers:
                return  # closed
            message = json.loads(self._file.read(int(headers["content-length"])))
            if message["type"] == "response":
                self._response_queue(message["request_seq"]).put(message)
            elif message["type"] == "event":
                self.events.put(message)

    def _response_queue(self, seq: int) -> queue.Queue[dict[str, Any]]:
        with self._responses_lock:
            return self._responses.setdefault(seq, queue.Queue())

    def send(self, command: str, **arguments: Any) -> int:
        seq = next(self._seq)
        body = json.dumps(
            {"seq": seq, "type": "request", "command": command, "arguments": arguments}
        ).encode()
        with self._write_lock:
            self._socket.sendall(f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        return seq

    def response(self, seq: int) -> dict[str, Any]:
        message = self._response_queue(seq).get(timeout=self._timeout_s)
        if not message["success"]:
            raise DapError(f"{message['command']}: {message.get('message')}")
        body: dict[str, Any] = message.get("body") or {}
        return body

    def request(self, command: str, **arguments: Any) -> dict[str, Any]:
        return self.response(self.send(command, **arguments))

    def wait_for_event(self, name: str, timeout_s: float | None = None) -> dict[str, Any]:
        """The next event called ``name`` (earlier events of other names are dropped)."""
        deadline = time.monotonic() + (timeout_s or self._timeout_s)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {name!r} event")
            event = self.events.get(timeout=remaining)
            if event["event"] == name:
                body: dict[str, Any] = event.get("body") or {}
                return body

    def close(self) -> None:
        self._socket.close()
