"""A bounded load on POST /inbox: N connections for S seconds, half of them a fresh connection per
request, half one keep-alive connection each, every request SigV4-signed.

Each outcome is counted: statuses, resets (the connection refused, reset, aborted or closed
without an answer), timeouts. A 429 (the front's integration pool is full) is retried after a
short jittered pause, like an SDK's backoff; a 200 records the message id as accepted.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from botocore.credentials import Credentials

from stackclient.http import signed_headers

RESETS = (
    ConnectionResetError,
    ConnectionRefusedError,
    ConnectionAbortedError,
    BrokenPipeError,
    http.client.RemoteDisconnected,
    http.client.BadStatusLine,
)


@dataclass
class LoadResult:
    statuses: Counter[int] = field(default_factory=Counter)
    by_mode: Counter[str] = field(default_factory=Counter)  # 200s per connection mode
    resets: Counter[str] = field(default_factory=Counter)  # by exception name
    timeouts: int = 0
    accepted: set[str] = field(default_factory=set)  # message ids answered 200
    connections: int = 0
    seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def requests(self) -> int:
        return self.statuses.total() + self.resets.total() + self.timeouts


class _Worker:
    def __init__(self, url: str, region: str, credentials: Credentials, keep_alive: bool) -> None:
        target = urlsplit(url)
        assert target.hostname and target.port
        self._host, self._port = target.hostname, target.port
        self._url = url
        self._path = target.path
        self._region = region
        self._credentials = credentials
        self.keep_alive = keep_alive
        self._connection: http.client.HTTPConnection | None = None

    def _open(self, result: LoadResult) -> http.client.HTTPConnection:
        if self._connection is None or not self.keep_alive:
            self._connection = http.client.HTTPConnection(self._host, self._port, timeout=40)
            with result._lock:
                result.connections += 1
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def post(self, message_id: str, result: LoadResult) -> int | None:
        body = json.dumps({"id": message_id, "message": f"load {message_id}"}).encode()
        headers = {
            "Content-Type": "application/json",
            "Host": f"{self._host}:{self._port}",
            "Connection": "keep-alive" if self.keep_alive else "close",
        }
        signed = signed_headers(
            "POST", self._url, body, headers, credentials=self._credentials, region=self._region
        )
        connection = self._open(result)
        try:
            connection.request("POST", self._path, body=body, headers=signed)
            response = connection.getresponse()
            response.read()
        except RESETS as error:
            self.close()
            with result._lock:
                result.resets[type(error).__name__] += 1
            return None
        except TimeoutError:
            self.close()
            with result._lock:
                result.timeouts += 1
            return None
        if not self.keep_alive or response.will_close:
            self.close()
        with result._lock:
            result.statuses[response.status] += 1
            if response.status == 200:
                result.accepted.add(message_id)
                result.by_mode["keep-alive" if self.keep_alive else "fresh"] += 1
        return response.status


def run_load(
    url: str,
    *,
    region: str,
    credentials: Credentials,
    connections: int,
    seconds: float,
    run_id: str,
) -> LoadResult:
    result = LoadResult()
    start = threading.Barrier(connections)
    stop_at = time.monotonic() + seconds + 5  # the barrier's wait is not load

    def work(index: int) -> None:
        worker = _Worker(url, region, credentials, keep_alive=index % 2 == 0)
        rng = random.Random(index)
        start.wait()
        deadline = min(stop_at, time.monotonic() + seconds)
        sequence = 0
        try:
            while time.monotonic() < deadline:
                message_id = f"{run_id}-{index}-{sequence}"
                if worker.post(message_id, result) == 429:
                    time.sleep(rng.uniform(0.02, 0.1))  # backoff; the same message again
                    continue
                sequence += 1
        finally:
            worker.close()

    started = time.monotonic()
    threads = [
        threading.Thread(target=work, args=(index,), name=f"load-{index}", daemon=True)
        for index in range(connections)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    result.seconds = time.monotonic() - started
    return result
