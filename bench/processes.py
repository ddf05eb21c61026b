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


def _cpu_s_and_parent(pid: int) -> tuple[float, int] | None:
    """(user + system CPU seconds, parent pid) of a live process, from /proc (Linux)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks, int(fields[1])


def process_tree_cpu_s(root: int) -> tuple[float, float]:
    """CPU seconds so far of `root` and of its live descendants (Linux; nan elsewhere).

    Descendants that exited are not counted: the local cloud's function workers live as long as
    it does."""
    if not Path("/proc").is_dir():
        return float("nan"), float("nan")
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (found := _cpu_s_and_parent(int(entry.name))) is not None:
            stats[int(entry.name)] = found
    children: dict[int, list[int]] = {}
    for pid, (_, parent) in stats.items():
        children.setdefault(parent, []).append(pid)
    descendants, frontier = 0.0, list(children.get(root, []))
    while frontier:
        pid = frontier.pop()
        descendants += stats[pid][0]
        frontier.extend(children.get(pid, []))
    own = stats[root][0] if root in stats else float("nan")
    return own, descendants
