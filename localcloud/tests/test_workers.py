"""LocalInvoker: real worker subprocesses running the probe handler."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator

import pytest

from localcloud.functions.invoker import FunctionNotFound, LocalInvoker
from localcloud.specs import FunctionSpec

ENDPOINT = "http://127.0.0.1:9"  # never called by these handlers


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture
def invoker(probe_spec: Callable[..., FunctionSpec]) -> Iterator[LocalInvoker]:
    specs = [
        probe_spec(),
        probe_spec(logical_id="Quick", function_name="quick-fn", timeout_s=1),
        probe_spec(logical_id="Small", function_name="small-fn", memory_mb=64),
        probe_spec(logical_id="Pair", function_name="pair-fn", reserved_concurrency=2),
        probe_spec(logical_id="Broken", function_name="broken-fn", handler="probe.nope.handler"),
    ]
    with LocalInvoker({s.function_name: s for s in specs}, ENDPOINT, "us-east-1") as local:
        yield local


def test_invoke_returns_the_handler_payload_from_a_warm_worker(invoker: LocalInvoker) -> None:
    first = invoker.invoke("probe-fn", {"action": "echo", "n": 1})
    second = invoker.invoke("probe-fn", {"action": "echo", "n": 2})

    assert first.ok and second.ok
    assert first.payload["event"] == {"action": "echo", "n": 1}
    assert second.payload["pid"] == first.payload["pid"]  # the same warm worker
    assert second.payload["invokes"] == first.payload["invokes"] + 1


def test_function_is_found_by_logical_id_and_arn(invoker: LocalInvoker) -> None:
    arn = "arn:aws:lambda:us-east-1:123456789012:function:probe-fn:$LATEST"
    assert invoker.invoke("ProbeFunction", {}).ok
    assert invoker.invoke(arn, {}).ok
    with pytest.raises(FunctionNotFound):
        invoker.invoke("no-such-fn", {})


def test_context_is_lambda_like(invoker: LocalInvoker) -> None:
    result = invoker.invoke("probe-fn", {"action": "context"})

    context = result.payload
    assert context["function_name"] == "probe-fn"
    assert context["memory_limit_in_mb"] == "256"
    assert context["invoked_function_arn"].endswith(":function:probe-fn")
    assert len(context["aws_request_id"]) == 36
    assert 0 < context["remaining_ms"] <= 5000


def test_handler_sees_function_and_lambda_environment(
    invoker: LocalInvoker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SESSION_TOKEN", "must-not-leak")
    names = [
        "GREETING", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION",
        "AWS_ACCESS_KEY_ID", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_TIMEOUT", "POWERTOOLS_TRACE_DISABLED", "AWS_SESSION_TOKEN",
    ]  # fmt: skip
    env = invoker.invoke("probe-fn", {"action": "env", "names": names}).payload

    assert env == {
        "GREETING": "hello",
        "AWS_ENDPOINT_URL": ENDPOINT,
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "localcloud",
        "AWS_LAMBDA_FUNCTION_NAME": "probe-fn",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_FUNCTION_TIMEOUT": "5",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "AWS_SESSION_TOKEN": None,
    }


def test_unhandled_exception_has_lambdas_error_shape(invoker: LocalInvoker) -> None:
    result = invoker.invoke("probe-fn", {"action": "raise", "message": "bad record"})

    assert result.function_error == "Unhandled"
    assert result.payload["errorType"] == "ValueError"
    assert result.payload["errorMessage"] == "bad record"
    assert any("handlers.py" in frame for frame in result.payload["stackTrace"])
    assert "[ERROR] ValueError: bad record" in result.log_tail


def test_unserializable_result_is_a_marshal_error(invoker: LocalInvoker) -> None:
    result = invoker.invoke("probe-fn", {"action": "not-json"})

    assert result.function_error == "Unhandled"
    assert result.payload["errorType"] == "Runtime.MarshalError"


def test_import_error_is_reported_per_invoke(invoker: LocalInvoker) -> None:
    result = invoker.invoke("broken-fn", {})

    assert result.function_error == "Unhandled"
    assert result.payload["errorType"] == "Runtime.ImportModuleError"


def test_timeout_kills_the_worker_and_the_next_invoke_gets_a_fresh_one(
    invoker: LocalInvoker,
) -> None:
    warm_pid = invoker.invoke("quick-fn", {"action": "echo"}).payload["pid"]

    result = invoker.invoke("quick-fn", {"action": "sleep", "seconds": 30})

    assert result.function_error == "Timeout"
    assert result.payload["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in result.payload["errorMessage"]
    assert not _alive(warm_pid)
    after = invoker.invoke("quick-fn", {"action": "echo"})
    assert after.ok
    assert after.payload["pid"] != warm_pid


def test_crash_is_reported_and_the_worker_replaced(invoker: LocalInvoker) -> None:
    warm_pid = invoker.invoke("probe-fn", {"action": "echo"}).payload["pid"]

    result = invoker.invoke("probe-fn", {"action": "exit", "code": 3})

    assert result.function_error == "Crash"
    assert result.payload["errorType"] == "Runtime.ExitError"
    assert "exit status 3" in result.payload["errorMessage"]
    after = invoker.invoke("probe-fn", {"action": "echo"})
    assert after.ok and after.payload["pid"] != warm_pid


def test_memory_above_memory_size_kills_the_worker(invoker: LocalInvoker) -> None:
    result = invoker.invoke("small-fn", {"action": "allocate", "mb": 128})

    assert result.function_error == "Crash"
    assert result.payload["errorType"] == "Runtime.OutOfMemory"
    assert invoker.invoke("small-fn", {"action": "echo"}).ok


def test_output_is_logged_with_the_function_name_and_tailed(
    invoker: LocalInvoker, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="localcloud.function")

    result = invoker.invoke("probe-fn", {"action": "print", "text": "hello from the probe"})

    messages = [record.getMessage() for record in caplog.records]
    assert "[probe-fn] hello from the probe" in messages
    assert "[probe-fn] hello from the probe (stderr)" in messages
    tail = result.log_tail.splitlines()
    assert tail[0].startswith("START RequestId: ")
    assert "hello from the probe" in tail
    assert tail[-1].startswith("REPORT RequestId: ")


def test_pool_never_exceeds_reserved_concurrency(invoker: LocalInvoker) -> None:
    pids: list[int] = []
    lock = threading.Lock()

    def call() -> None:
        result = invoker.invoke("pair-fn", {"action": "sleep", "seconds": 0.3})
        with lock:
            pids.append(result.payload["pid"])

    threads = [threading.Thread(target=call) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(pids) == 4
    assert len(set(pids)) <= 2


def test_close_leaves_no_worker_process(probe_spec: Callable[..., FunctionSpec]) -> None:
    spec = probe_spec()
    local = LocalInvoker({spec.function_name: spec}, ENDPOINT, "us-east-1")
    pid = local.invoke("probe-fn", {"action": "echo"}).payload["pid"]
    assert _alive(pid)

    local.close()

    assert not _alive(pid)
    assert os.getpid() != pid
