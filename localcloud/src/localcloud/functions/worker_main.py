# ruff: noqa: T201 - printing to stdout is what the Lambda runtime does; the parent reads it
"""The program a worker subprocess runs: import one handler, then serve invokes until EOF.

Run as ``python -I -u worker_main.py REQUEST_FD RESPONSE_FD HANDLER CODE_DIR IMPORT_DIRS``
(IMPORT_DIRS: the installed requirements, then the stack's own layers' folders,
``os.pathsep``-separated, possibly empty).
Requests and responses travel on a private pipe pair as length-prefixed JSON frames, because the
handler owns stdout/stderr (prints, Powertools logs). Around each invoke it prints Lambda's
START/END/REPORT lines, so the log reads like CloudWatch and the parent knows when an invoke's
output is complete.

Stdlib only, and importable by the parent for the framing helpers: the handler's ``sys.path``
must hold its code folder, its layers and site-packages, nothing of the local cloud.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import struct
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any, BinaryIO

_LENGTH = struct.Struct(">I")


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


def serve(requests: BinaryIO, responses: BinaryIO, handler_name: str) -> None:
    try:
        handler: Callable[[Any, Any], Any] | None = load_handler(handler_name)
        init_error: InitError | None = None
    except InitError as error:
        handler, init_error = None, error
        print(f"[ERROR] {error.error_type}: {error}", file=sys.stderr)
    write_frame(responses, {"ready": True, "init_error": str(init_error or "") or None})
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
        write_frame(
            responses,
            {
                "id": request_id,
                "ok": ok,
                "payload": payload,
                "duration_ms": duration_ms,
                "peak_rss_mb": peak,
            },
        )


def main(argv: list[str]) -> None:
    request_fd, response_fd, handler_name, code_dir, import_dirs = argv
    # The handler sees its code folder first, as /var/task in Lambda, then its installed
    # requirements and its layers, as /opt/python; the runtime's own folder must not leak onto it.
    sys.path[0:0] = [code_dir, *filter(None, import_dirs.split(os.pathsep))]
    os.chdir(code_dir)
    # stderr joins stdout so the parent reads one ordered stream per worker.
    os.dup2(sys.stdout.fileno(), sys.stderr.fileno())
    with (
        os.fdopen(int(request_fd), "rb", buffering=0) as requests,
        os.fdopen(int(response_fd), "wb", buffering=0) as responses,
    ):
        serve(requests, responses, handler_name)


if __name__ == "__main__":
    main(sys.argv[1:])
