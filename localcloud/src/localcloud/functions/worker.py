"""Drive one worker subprocess from the local cloud: spawn, invoke with a deadline, kill.

The worker's stdout (stderr joined to it) is pumped line by line into the ``localcloud.function``
logger, prefixed with the function name, captured per invoke for ``LogType=Tail`` and, with a
log delivery, queued for the worker's own CloudWatch log stream (``platform_log.FunctionLog``).
Failures map to what Lambda reports:
- handler raised -> ``Unhandled`` with the runtime's error document;
- deadline passed -> ``Timeout`` (``Sandbox.Timedout``), worker killed;
- worker died (``os._exit``, a signal) -> ``Crash`` (``Runtime.ExitError``);
- resident memory above MemorySize -> ``Crash`` (``Runtime.OutOfMemory``), worker killed;
- a response over Lambda's 6 MB -> ``Unhandled`` (``Function.ResponseSizeTooLarge``).
Memory is watched from outside (``/proc/<pid>/statm`` every few ms while an invoke runs, plus the
worker's own peak RSS after it), because ``RLIMIT_AS`` counts virtual memory and breaks Python
threads long before the resident set reaches the limit.

A worker started with a debug address listens for a debugger (``worker_main``) and reports
whether one is attached; while one is, the invoke's deadline stands still, so sitting at a
breakpoint does not time the invoke out.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal

from localcloud.functions import worker_main
from localcloud.functions.limits import (
    RESPONSE_TOO_LARGE_ERROR,
    payload_size,
    response_too_large,
)
from localcloud.functions.log_delivery import LogDelivery
from localcloud.functions.platform_log import FunctionLog, log_stream_name, report_line
from localcloud.specs import FunctionSpec

WORKER_PROGRAM = Path(worker_main.__file__).resolve()
# Lambda allows 10 s of init on demand; a slow import fails the same way here.
INIT_TIMEOUT_S = 10.0
# After a response, how long to wait for the worker's REPORT line to reach the log pump.
LOG_DRAIN_S = 2.0
MEMORY_POLL_S = 0.05
# What debugpy adds to a worker's resident memory (23 MB measured with the probe handler), allowed
# on top of MemorySize so that debugging a function does not make it run out of memory.
DEBUGGER_MEMORY_MB = 32
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096

function_log = logging.getLogger("localcloud.function")

Outcome = Literal["ok", "error", "timeout", "crash", "oom"]


@dataclass(frozen=True)
class WorkerResult:
    outcome: Outcome
    payload: Any
    duration_ms: float
    log: str


class WorkerDied(Exception):
    """The worker's response pipe closed: the process is gone."""


class _FrameReader:
    """Length-prefixed frames from a raw fd, with a deadline (select, no extra thread).

    A debugger-status frame (``worker_main.DEBUGGER_ATTACHED``) is consumed here, whenever it
    comes; time spent with a debugger attached does not count against the deadline.
    """

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._buffer = b""
        self.debugger_attached = False

    def read(self, deadline: float, on_wait: Any = None) -> dict[str, Any]:
        last = time.monotonic()
        while True:
            frame = self._take()
            if frame is not None:
                return frame
            now = time.monotonic()
            if self.debugger_attached:
                deadline += now - last
            last = now
            remaining = deadline - now
            if remaining <= 0:
                raise TimeoutError
            ready, _, _ = select.select([self.fd], [], [], min(remaining, MEMORY_POLL_S))
            if ready:
                chunk = os.read(self.fd, 1 << 20)
                if not chunk:
                    raise WorkerDied
                self._buffer += chunk
            elif on_wait is not None:
                on_wait()

    def _take(self) -> dict[str, Any] | None:
        while True:
            stream = io.BytesIO(self._buffer)
            frame = worker_main.read_frame(stream)
            if frame is None:
                return None
            self._buffer = self._buffer[stream.tell() :]
            if worker_main.DEBUGGER_ATTACHED not in frame:
                return frame
            self.debugger_attached = bool(frame[worker_main.DEBUGGER_ATTACHED])
            function_log.info("debugger %s", "attached" if self.debugger_attached else "detached")


class MemoryExceeded(Exception):
    def __init__(self, rss_mb: float) -> None:
        super().__init__(f"{rss_mb:.0f} MB")
        self.rss_mb = rss_mb


def resident_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * PAGE_SIZE / (1024 * 1024)
    except (OSError, IndexError, ValueError):
        return None


class Worker:
    """One long-lived subprocess running one function's handler: one execution environment,
    with its own CloudWatch log stream when ``log_delivery`` is given."""

    def __init__(
        self,
        spec: FunctionSpec,
        env: dict[str, str],
        index: int,
        log_delivery: LogDelivery | None = None,
        debug_address: tuple[str, int] | None = None,
    ) -> None:
        self.spec = spec
        self.name = f"{spec.function_name}#{index}"
        self._memory_limit_mb = spec.memory_mb + (DEBUGGER_MEMORY_MB if debug_address else 0)
        self.log_stream = log_stream_name()
        env = {**env, "AWS_LAMBDA_LOG_STREAM_NAME": self.log_stream}
        self._cloud_log: FunctionLog | None = None
        if log_delivery is not None:
            group, stream, submit = spec.log_group_name, self.log_stream, log_delivery.submit
            self._cloud_log = FunctionLog(
                lambda when, message: submit(group, stream, when, message), spec.log_format
            )
        self._spawned = time.monotonic()
        request_read, request_write = os.pipe()
        response_read, response_write = os.pipe()
        # Under a debugger: frozen stdlib modules would hide breakpoints in them, pydevd says.
        debug_options = ["-X", "frozen_modules=off"] if debug_address else []
        command = [
            sys.executable, "-I", "-u", *debug_options, str(WORKER_PROGRAM),
            str(request_read), str(response_write), spec.handler, str(spec.code_dir),
            os.pathsep.join(str(d) for d in spec.dependency_dirs),
            os.pathsep.join(str(d) for d in spec.layer_dirs),
            f"{debug_address[0]}:{debug_address[1]}" if debug_address else "",
        ]  # fmt: skip
        self._process = subprocess.Popen(  # noqa: S603 - our own program, no shell
            command,
            env={**env, "PYDEVD_DISABLE_FILE_VALIDATION": "1"} if debug_address else env,
            cwd=spec.code_dir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            pass_fds=(request_read, response_write),
            # Ctrl-C in the terminal stops the local cloud, which then stops its workers.
            start_new_session=True,
        )
        os.close(request_read)
        os.close(response_write)
        self._requests: BinaryIO = os.fdopen(request_write, "wb", buffering=0)
        self._responses = _FrameReader(response_read)
        self._ready = False
        # The handler's import error (Runtime.ImportModuleError...), once ready.
        self.init_error: str | None = None
        self._closed = False
        self._capture: list[str] | None = None
        self._capture_id = ""
        self._reported = False  # the worker printed this invoke's REPORT line
        self._rss_seen = 0.0  # the highest resident memory sampled during this invoke, MB
        self._captured = threading.Event()
        self._lock = threading.Lock()
        self._pump = threading.Thread(target=self._pump_output, name=self.name, daemon=True)
        self._pump.start()

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def ready(self) -> bool:
        """Its init finished (the handler imported, or failed to)."""
        return self._ready

    @property
    def alive(self) -> bool:
        return self._process.poll() is None

    def _pump_output(self) -> None:
        assert self._process.stdout is not None
        prefix = self.spec.function_name
        for raw in iter(self._process.stdout.readline, b""):
            line = raw.decode("utf-8", errors="replace").rstrip("\n")
            function_log.info("[%s] %s", prefix, line)
            if self._cloud_log is not None:
                self._cloud_log.write(line)
            with self._lock:
                if self._capture is not None:
                    self._capture.append(line)
                    if line.startswith(f"REPORT RequestId: {self._capture_id}"):
                        self._reported = True
                        self._captured.set()
        self._captured.set()

    def wait_ready(self) -> None:
        if self._ready:
            return
        try:
            ready = self._responses.read(time.monotonic() + INIT_TIMEOUT_S)
        except TimeoutError:
            self.kill()
            raise WorkerDied("init timed out") from None
        self._ready = True
        if self._cloud_log is not None:
            # From spawn to ready: the interpreter's start and the handler's import, as Lambda's
            # Init Duration covers the runtime's start and the module's init.
            self._cloud_log.cold_start((time.monotonic() - self._spawned) * 1000)
        self.init_error = ready.get("init_error")

    def invoke(self, request_id: str, event: Any, arn: str) -> WorkerResult:
        timeout_s = float(self.spec.timeout_s)
        with self._lock:
            self._capture, self._capture_id = [], request_id
            self._reported = False
            self._rss_seen = 0.0
            self._captured.clear()
        started = time.monotonic()
        try:
            self.wait_ready()
            started = time.monotonic()
            deadline_ms = int(time.time() * 1000 + timeout_s * 1000)
            worker_main.write_frame(
                self._requests,
                {"id": request_id, "event": event, "arn": arn, "deadline_ms": deadline_ms},
            )
            response = self._responses.read(started + timeout_s, self._check_memory)
        except TimeoutError:
            self.kill()
            message = f"RequestId: {request_id} Error: Task timed out after {timeout_s:.2f} seconds"
            return self._failed("timeout", "Sandbox.Timedout", message, started)
        except MemoryExceeded as exceeded:
            self.kill()
            return self._out_of_memory(request_id, exceeded.rss_mb, started)
        except (WorkerDied, BrokenPipeError):
            status = self._exit_status()
            message = f"RequestId: {request_id} Error: Runtime exited with error: {status}"
            return self._failed("crash", "Runtime.ExitError", message, started)
        self._captured.wait(LOG_DRAIN_S)
        if response["peak_rss_mb"] > self._memory_limit_mb:
            self.kill()
            return self._out_of_memory(request_id, response["peak_rss_mb"], started)
        payload = json.loads(response["payload"])
        if response["ok"] and response_too_large(payload_size(payload)):
            return WorkerResult(
                "error", dict(RESPONSE_TOO_LARGE_ERROR), response["duration_ms"], self._take_log()
            )
        return WorkerResult(
            "ok" if response["ok"] else "error",
            payload,
            response["duration_ms"],
            self._take_log(),
        )

    def _check_memory(self) -> None:
        rss = resident_mb(self.pid)
        if rss is not None:
            self._rss_seen = max(self._rss_seen, rss)
        if rss is not None and rss > self._memory_limit_mb:
            raise MemoryExceeded(rss)

    def _out_of_memory(self, request_id: str, rss_mb: float, started: float) -> WorkerResult:
        message = (
            f"RequestId: {request_id} Error: Runtime exited with error: signal: killed "
            f"(resident memory {rss_mb:.0f} MB above MemorySize {self.spec.memory_mb} MB)"
        )
        return self._failed("oom", "Runtime.OutOfMemory", message, started)

    def _failed(
        self, outcome: Outcome, error_type: str, message: str, started: float
    ) -> WorkerResult:
        self._captured.wait(LOG_DRAIN_S if outcome == "crash" else 0.2)
        duration_ms = (time.monotonic() - started) * 1000
        function_log.error("[%s] %s", self.spec.function_name, message)
        with self._lock:
            request_id, reported = self._capture_id, self._reported
            if self._capture is not None:
                self._capture.append(message)
        self._cloud_log_failure(
            request_id, reported, outcome, error_type, message=message, duration_ms=duration_ms
        )
        payload = {"errorType": error_type, "errorMessage": message}
        return WorkerResult(outcome, payload, duration_ms, self._take_log())

    def _cloud_log_failure(
        self,
        request_id: str,
        reported: bool,
        outcome: Outcome,
        error_type: str,
        *,
        message: str,
        duration_ms: float,
    ) -> None:
        if self._cloud_log is None:
            return
        self._cloud_log.write(message)
        if not reported:
            # The worker is gone or killed: Lambda's platform writes END and REPORT for it.
            self._cloud_log.write(f"END RequestId: {request_id}")
            status = "timeout" if outcome == "timeout" else "error"
            used = min(int(self._rss_seen), self.spec.memory_mb)
            self._cloud_log.write(
                report_line(
                    request_id, duration_ms, self.spec.memory_mb, used, status=status,
                    error_type=None if outcome == "timeout" else error_type,
                )
            )  # fmt: skip

    def _take_log(self) -> str:
        with self._lock:
            lines, self._capture = self._capture or [], None
        return "\n".join(lines) + ("\n" if lines else "")

    def _exit_status(self) -> str:
        try:
            code = self._process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.kill()
            return "unknown"
        if code < 0:
            try:
                return f"signal: {signal.Signals(-code).name}"
            except ValueError:
                return f"signal: {-code}"
        return f"exit status {code}"

    def kill(self) -> None:
        if self.alive:
            self._process.kill()
        self._close()

    def request_stop(self) -> None:
        """EOF on the request pipe: an idle worker exits at once."""
        self._close_requests()

    def stop(self, grace_s: float = 1.0) -> None:
        """Ask the worker to exit (EOF on its request pipe), then kill it if it does not."""
        self._close_requests()
        try:
            self._process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            self._process.kill()
        self._close()
        # Its last lines reach the log delivery before the cloud flushes it.
        self._pump.join(timeout=LOG_DRAIN_S)

    def _close_requests(self) -> None:
        with contextlib.suppress(OSError):
            self._requests.close()

    def _close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._close_requests()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=5)
        with contextlib.suppress(OSError):
            os.close(self._responses.fd)
