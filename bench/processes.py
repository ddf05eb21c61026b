"""The benchmark's helper process: the stub DynamoDB, in its own process.

A separate process keeps the stub's request handling and the code under test from sharing one
GIL, as they would not share one on AWS.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# The stack's own layer (template.yaml ObservabilityLayer): on every handler's path, as /opt/python.
LAYER_DIR = REPO / "src" / "observability_layer"
START_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Service:
    url: str
    pid: int


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_http(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"{url} not answering after {START_TIMEOUT_S:.0f} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def stub_dynamodb(delay_ms: float) -> Iterator[Service]:
    """bench.stub_dynamodb: BatchWriteItem answered after `delay_ms`, no CPU to speak of."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.stub_dynamodb",
            "--delay-ms",
            str(delay_ms),
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_http(f"{url}/__stub__/stats", process)
        yield Service(url, process.pid)
    finally:
        _stop(process)
