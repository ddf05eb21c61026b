# ruff: noqa: T201 - printing to stdout is what the Lambda runtime does; the parent reads it
"""The program a worker subprocess runs: import one handler, then serve invokes until EOF.

Run as ``python -I -u worker_main.py REQUEST_FD RESPONSE_FD HANDLER CODE_DIR DEPENDENCY_DIRS
LAYER_DIRS DEBUG`` (the installed requirements' folders, then the stack's own layers' folders,
each ``os.pathsep``-separated and possibly empty; DEBUG: ``HOST:PORT`` for debugpy to listen on,
or empty).

The code and layer folders are compiled from source at every import, never from ``__pycache__``:
Python validates a cached ``.pyc`` by the source's size and whole-second mtime, so a same-length
edit within a second of the last compile (a hot-reloaded typo fix) would run the old bytecode.

Requests and responses travel on a private pipe pair as length-prefixed JSON frames, because the
handler owns stdout/stderr (prints, Powertools logs). Around each invoke it prints Lambda's
START/END/REPORT lines, so the log reads like CloudWatch and the parent knows when an invoke's
output is complete.

Stdlib only (debugpy, from the venv, only when DEBUG is given), and importable by the parent
for the framing helpers: the handler's ``sys.path`` must hold its code folder, its layers and
site-packages, nothing of the local cloud.

Under a debugger, a thread reports on the response pipe whether a client is attached (a
``DEBUGGER_ATTACHED`` frame on each change), so the parent can hold the invoke's deadline.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import json
import os
import resource
import struct
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any, BinaryIO

_LENGTH = struct.Struct(">I")
DEBUGGER_ATTACHED = "debugger_attached"
# How often the debugger thread looks for a client: the deadline can run on for this long after
# an attach, and stands still for this long after a detach.
DEBUGGER_POLL_S = 0.1
DEBUGGER_LISTEN_S = 5.0


def write_frame(stream: BinaryIO, message: dict[str, Any]) -> None:
    body = json.dumps(message).encode("utf-8")
    stream.write(_LENGTH.pack(len(body)) + body)
    stream.flush()


def read_exactly(stream: BinaryIO, size: int) -> bytes | None:
    chunks: list[bytes] = []
    while size:
        chunk = stream.read(size)
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def read_frame(stream: BinaryIO) -> dict[str, Any] | None:
    """The next message, or None at end of stream."""
    header = read_exactly(stream, _LENGTH.size)
    if header is None:
        return None
    body = read_exactly(stream, _LENGTH.unpack(header)[0])
    if body is None:
        return None
    message: dict[str, Any] = json.loads(body)
    return message


def error_document(error: BaseException, error_type: str | None = None) -> dict[str, Any]:
    """Lambda's shape for an unhandled error: errorMessage, errorType, stackTrace."""
    return {
        "errorMessage": str(error),
        "errorType": error_type or type(error).__name__,
        "requestId": "",
        "stackTrace": traceback.format_list(traceback.extract_tb(error.__traceback__)[1:]),
    }


def peak_rss_mb() -> float:
    """This process's resident-memory high-water mark, in MiB.

    VmHWM, not ru_maxrss: ru_maxrss survives exec, so a worker forked from a big parent would
    report the parent's peak.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class LambdaContext:
    """The ``context`` argument, with the attributes and method of the Python runtime's."""

    def __init__(self, request_id: str, invoked_function_arn: str, deadline_ms: int) -> None:
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_function_arn
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        # The Python runtime passes the environment's string through; so do we.
        self.memory_limit_in_mb = os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(self._deadline_ms - int(time.time() * 1000), 0)


def load_handler(handler: str) -> Callable[[Any, Any], Any]:
    module_name, _, function_name = handler.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except Exception as error:
        raise InitError(
            "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {error}"
        ) from error
    function = getattr(module, function_name, None)
    if not callable(function):
        raise InitError(
            "Runtime.HandlerNotFound",
            f"Handler '{function_name}' missing on module '{module_name}'",
        )
    return function  # type: ignore[no-any-return]


class InitError(Exception):
    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


def run_one(handler: Callable[[Any, Any], Any], request: dict[str, Any]) -> tuple[bool, str]:
    """(ok, JSON payload) of one invoke; prints the handler's traceback like the runtime does."""
    context = LambdaContext(request["id"], request["arn"], request["deadline_ms"])
    try:
        result = handler(request["event"], context)
    except Exception as error:
        document = error_document(error)
        document["requestId"] = request["id"]
        # The runtime's log line for an unhandled error.
        print(
            f"[ERROR] {document['errorType']}: {document['errorMessage']}\n"
            f"Traceback (most recent call last):\n{''.join(document['stackTrace'])}",
            file=sys.stderr,
        )
        return False, json.dumps(document)
    try:
        return True, json.dumps(result)
    except (TypeError, ValueError) as error:
        message = f"Unable to marshal response: {error}"
        return False, json.dumps(
            {"errorMessage": message, "errorType": "Runtime.MarshalError", "stackTrace": []}
        )


class FrameWriter:
    """Frames to the parent from the serving loop and the debugger thread, never interleaved."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def write(self, message: dict[str, Any]) -> None:
        with self._lock:
            write_frame(self._stream, message)


def listen_for_debugger(address: str, writer: FrameWriter) -> None:
    """debugpy listening on HOST:PORT (no waiting: invokes run whether or not one attaches)."""
    import debugpy  # noqa: PLC0415 - from the venv, only in a worker being debugged

    host, _, port = address.rpartition(":")
    # The worker this one replaces may still hold the port for a moment (its debug adapter, a
    # subprocess of its own, exits after it).
    deadline = time.monotonic() + DEBUGGER_LISTEN_S
    while True:
        try:
            debugpy.listen((host, int(port)))
            break
        except RuntimeError:
            if time.monotonic() > deadline:
                raise
            time.sleep(DEBUGGER_POLL_S)

    def report() -> None:
        attached = False
        while True:
            if debugpy.is_client_connected() != attached:
                attached = not attached
                writer.write({DEBUGGER_ATTACHED: attached})
            time.sleep(DEBUGGER_POLL_S)

    threading.Thread(target=report, name="debugger-status", daemon=True).start()


def serve(requests: BinaryIO, writer: FrameWriter, handler_name: str) -> None:
    try:
        handler: Callable[[Any, Any], Any] | None = load_handler(handler_name)
        init_error: InitError | None = None
    except InitError as error:
        handler, init_error = None, error
        print(f"[ERROR] {error.error_type}: {error}", file=sys.stderr)
    writer.write({"ready": True, "init_error": str(init_error or "") or None})
    memory_size = os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]
    while (request := read_frame(requests)) is not None:
        request_id = request["id"]
        print(f"START RequestId: {request_id} Version: $LATEST", flush=True)
        started = time.perf_counter()
        if handler is None:
            assert init_error is not None
            ok, payload = (
                False,
                json.dumps(
                    {
                        "errorMessage": str(init_error),
                        "errorType": init_error.error_type,
                        "requestId": request_id,
                        "stackTrace": [],
                    }
                ),
            )
        else:
            ok, payload = run_one(handler, request)
        duration_ms = (time.perf_counter() - started) * 1000
        peak = peak_rss_mb()
        sys.stdout.flush()
        sys.stderr.flush()
        print(f"END RequestId: {request_id}")
        print(
            f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
            f"Billed Duration: {int(duration_ms) + 1} ms\tMemory Size: {memory_size} MB\t"
            f"Max Memory Used: {int(peak)} MB",
            flush=True,
        )
        writer.write(
            {
                "id": request_id,
                "ok": ok,
                "payload": payload,
                "duration_ms": duration_ms,
                "peak_rss_mb": peak,
            },
        )


class SourceOnlyLoader(importlib.machinery.SourceFileLoader):
    """Compiles the module from its source, neither reading nor writing cached bytecode."""

    def get_code(self, fullname: str) -> Any:
        return self.source_to_code(self.get_data(self.path), self.path)


def compile_from_source(roots: list[str]) -> None:
    """Import modules found under ``roots`` with ``SourceOnlyLoader``; a folder whose nearest
    ``sys.path`` entry is another (installed requirements or a venv inside a root) keeps the
    standard finder and its bytecode cache."""
    own = {os.path.realpath(root) for root in roots}
    loaders = [
        (SourceOnlyLoader, importlib.machinery.SOURCE_SUFFIXES),
        (importlib.machinery.ExtensionFileLoader, importlib.machinery.EXTENSION_SUFFIXES),
        (importlib.machinery.SourcelessFileLoader, importlib.machinery.BYTECODE_SUFFIXES),
    ]

    def nearest_entry(path: str) -> str | None:
        entries = {os.path.realpath(entry or ".") for entry in sys.path}
        enclosing = [e for e in entries if path == e or path.startswith(e.rstrip(os.sep) + os.sep)]
        return max(enclosing, key=len, default=None)

    def hook(path: str) -> importlib.machinery.FileFinder:
        if nearest_entry(os.path.realpath(path or ".")) not in own:
            raise ImportError("not the function's own code")  # the next hook takes it
        return importlib.machinery.FileFinder(path, *loaders)

    sys.path_hooks.insert(0, hook)
    sys.path_importer_cache.clear()


def main(argv: list[str]) -> None:
    request_fd, response_fd, handler_name, code_dir, dependency_dirs, layer_dirs, debug = argv
    dependencies = [d for d in dependency_dirs.split(os.pathsep) if d]
    layers = [d for d in layer_dirs.split(os.pathsep) if d]
    # The handler sees its code folder first, as /var/task in Lambda, then its installed
    # requirements and its layers, as /opt/python; the runtime's own folder must not leak onto it.
    sys.path[0:0] = [code_dir, *dependencies, *layers]
    compile_from_source([code_dir, *layers])
    os.chdir(code_dir)
    # stderr joins stdout so the parent reads one ordered stream per worker.
    os.dup2(sys.stdout.fileno(), sys.stderr.fileno())
    with (
        os.fdopen(int(request_fd), "rb", buffering=0) as requests,
        os.fdopen(int(response_fd), "wb", buffering=0) as responses,
    ):
        writer = FrameWriter(responses)
        if debug:
            listen_for_debugger(debug, writer)
        serve(requests, writer, handler_name)


if __name__ == "__main__":
    main(sys.argv[1:])
