"""--debug-function on a real local cloud: a DAP client attaches to the function's worker, as VS
Code does, stops at a breakpoint in the handler past the function's timeout, and continues."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tests.dap_client import DapClient

from localcloud.cloud import CloudOptions, LocalCloud
from localcloud.functions.invoker import FunctionNotFound, LocalInvoker
from localcloud.specs import FunctionSpec, InvokeResult

pytestmark = pytest.mark.slow

TIMEOUT_S = 2
HANDLERS = """
def greet_messages(event, _context):
    return None


def greet_request(event, _context):
    word = "stopped"  # breakpoint
    return {"word": word}
"""


@pytest.fixture
def handlers(greeter_started_before: Path) -> Path:
    path = greeter_started_before / "src" / "greeter" / "handlers.py"
    path.write_text(HANDLERS)
    return path


@pytest.fixture
def debugged_cloud(
    greeter_started_before: Path, handlers: Path, free_port: Callable[[], int]
) -> Iterator[LocalCloud]:
    options = CloudOptions(
        template=greeter_started_before / "template.yaml",
        stack_name=f"greeter-{uuid.uuid4().hex[:8]}",
        region="us-east-1",
        with_esm=False,
        with_api=False,
        prewarm=False,  # the debugged function's worker listens from the start regardless
        function_timeouts={"GreetOverHttpFunction": TIMEOUT_S},
        debug_function="GreetOverHttpFunction",
        debug_port=free_port(),
    )
    with LocalCloud(options) as cloud:
        yield cloud


def _breakpoint_line(path: Path) -> int:
    lines = path.read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if "# breakpoint" in line)


def _attach(port: int, handlers: Path, line: int) -> DapClient:
    """The sequence VS Code's "attach" runs: initialize, attach, breakpoints, configurationDone."""
    client = DapClient("127.0.0.1", port)
    client.request(
        "initialize", clientID="localcloud-tests", adapterID="debugpy", pathFormat="path",
        linesStartAt1=True, columnsStartAt1=True,
    )  # fmt: skip
    attach = client.send("attach", justMyCode=True)
    client.wait_for_event("initialized")
    answer = client.request(
        "setBreakpoints", source={"path": str(handlers)}, breakpoints=[{"line": line}]
    )
    assert answer["breakpoints"][0]["line"] == line
    client.request("configurationDone")
    client.response(attach)
    return client


def _invoke_in_background(invoker: LocalInvoker) -> tuple[threading.Thread, list[InvokeResult]]:
    results: list[InvokeResult] = []
    thread = threading.Thread(
        target=lambda: results.append(invoker.invoke("GreetOverHttpFunction", {}))
    )
    thread.start()
    return thread, results


def test_a_breakpoint_in_the_handler_holds_the_invoke_past_its_timeout(
    debugged_cloud: LocalCloud, handlers: Path
) -> None:
    invoker = debugged_cloud.invoker
    assert invoker is not None and debugged_cloud.options.debug_port is not None
    line = _breakpoint_line(handlers)
    client = _attach(debugged_cloud.options.debug_port, handlers, line)
    try:
        invoke, results = _invoke_in_background(invoker)
        stopped = client.wait_for_event("stopped")
        assert stopped["reason"] == "breakpoint"
        frames = client.request("stackTrace", threadId=stopped["threadId"])["stackFrames"]
        assert (Path(frames[0]["source"]["path"]), frames[0]["line"]) == (handlers, line)

        time.sleep(TIMEOUT_S * 2)  # at the breakpoint, past the function's timeout
        assert invoke.is_alive() and not results

        client.request("continue", threadId=stopped["threadId"])
        invoke.join(30)
    finally:
        client.close()
    assert [(r.ok, r.payload) for r in results] == [(True, {"word": "stopped"})]


def test_without_a_debugger_the_timeout_applies_and_the_next_worker_listens_again(
    debugged_cloud: LocalCloud, handlers: Path
) -> None:
    invoker, port = debugged_cloud.invoker, debugged_cloud.options.debug_port
    assert invoker is not None and port is not None
    handlers.write_text(HANDLERS.replace('word = "stopped"', "__import__('time').sleep(10)"))
    assert invoker.invoke("GreetOverHttpFunction", {}).function_error == "Timeout"

    # The timed-out worker was killed; its successor takes the same debug port.
    handlers.write_text(HANDLERS)
    client = _attach(port, handlers, _breakpoint_line(handlers))
    try:
        invoke, results = _invoke_in_background(invoker)
        stopped = client.wait_for_event("stopped")
        client.request("continue", threadId=stopped["threadId"])
        invoke.join(30)
    finally:
        client.close()
    assert [r.payload for r in results] == [{"word": "stopped"}]


def test_a_taken_debug_port_or_an_unknown_function_is_a_clear_error_at_start(
    probe_spec: Callable[..., FunctionSpec], free_port: Callable[[], int]
) -> None:
    spec = probe_spec()
    functions = {spec.function_name: spec}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        address = ("127.0.0.1", int(taken.getsockname()[1]))
        with pytest.raises(OSError, match=f"--debug-port {address[1]} on 127.0.0.1"):
            LocalInvoker(
                functions, "http://127.0.0.1:9", "us-east-1",
                debug_function="ProbeFunction", debug_address=address,
            )  # fmt: skip
    with pytest.raises(FunctionNotFound, match="no function 'Nope' \\(functions: ProbeFunction\\)"):
        LocalInvoker(
            functions, "http://127.0.0.1:9", "us-east-1",
            debug_function="Nope", debug_address=("127.0.0.1", free_port()),
        )  # fmt: skip
