"""``up``: deploy and stay up until Ctrl-C or SIGTERM, in the foreground or detached."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

from localcloud.cli.launch import LOG_FILE, cloud_options, new_cloud, setup_logging
from localcloud.cli.running import summary
from localcloud.cli.up_persist import persist_options, state_note
from localcloud.config import state_dir
from localcloud.persistence.saved_state import SavedStateError
from localcloud.process_identity import own_identity
from localcloud.state_file import read_state, remove_state, write_state
from localcloud.summary import stack_facts

if TYPE_CHECKING:
    from localcloud.cloud import LocalCloud
    from localcloud.specs import DeployedStack

# The first `up` of a project installs its requirements.txt files (pip) before it is ready.
DETACH_TIMEOUT_S = 300.0


def state_of(cloud: LocalCloud, stack: DeployedStack) -> dict[str, Any]:
    """What the state file records of the running cloud: `status` and `summary` read it."""
    endpoints = cloud.endpoints
    return {
        "pid": os.getpid(),
        "process": own_identity().as_dict(),
        "stack_name": stack.stack_name,
        "region": stack.region,
        "endpoint_url": endpoints.endpoint_url,
        "api_front_url": endpoints.api_front_url,
        "proxy_url": endpoints.proxy_url,
        "proxy_ca_dir": endpoints.proxy_ca_dir,
        "outputs": stack.outputs,
        "functions": {spec.logical_id: name for name, spec in stack.functions.items()},
        "rest_apis": [{"id": api.rest_api_id, "stage": api.stage_name} for api in stack.rest_apis],
        "ready_s": round(cloud.options.timings.get("ready_s", 0.0), 3),
        "log_file": str(state_dir() / LOG_FILE),
        "hot_reload": cloud.options.hot_reload,
        "debugger": (
            {
                "function": cloud.options.debug_function,
                "address": f"{cloud.options.host}:{cloud.options.debug_port}",
            }
            if cloud.options.debug_function
            else None
        ),
        "state_note": state_note(
            cloud.options.persist_dir, cloud.restored, cloud.options.save_interval_s
        ),
        **stack_facts(stack),
    }


def _wait_for_signal() -> None:
    stopped = threading.Event()

    def handle(signum: int, _frame: Any) -> None:
        stopped.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    while not stopped.wait(1.0):
        pass


def cmd_up(args: argparse.Namespace) -> int:
    running = read_state()
    if running is not None:
        print(f"a local cloud is already running (pid {running['pid']}); `stop` it first")
        return 1
    persisted = persist_options(args)
    if args.detach:
        return _up_detached(args)
    log_file = state_dir() / LOG_FILE
    setup_logging(log_file, verbose=not args.quiet)
    cloud = new_cloud(cloud_options(args, **persisted))
    try:
        stack = cloud.start()
    except SavedStateError as error:
        print(error, file=sys.stderr)
        return 1
    state = state_of(cloud, stack)
    write_state(state)
    # A deploy into the cloud of this stack (sam deploy, sam sync): status prints it as it is.
    cloud.on_stack_change(lambda redeployed: write_state(state_of(cloud, redeployed)))
    try:
        print(summary(state), flush=True)
        print(f"\n{state['state_note']}", flush=True)
        print("\nCtrl-C stops it.", flush=True)
        _wait_for_signal()
    finally:
        cloud.stop()
        remove_state(os.getpid())
        logging.getLogger(__name__).info("local cloud stopped")
    return 0


def _up_detached(args: argparse.Namespace) -> int:
    log_file = state_dir() / LOG_FILE
    log_file.parent.mkdir(parents=True, exist_ok=True)
    # The same command line, less the flag that detaches (or its abbreviation), plus --quiet.
    passed = [arg for arg in args.argv if not (len(arg) > 3 and "--detach".startswith(arg))]
    command = [sys.executable, "-m", "localcloud", *passed, "--quiet"]
    with log_file.open("ab") as log_handle:
        child = subprocess.Popen(  # noqa: S603 - our own module
            command,
            stdin=subprocess.DEVNULL,
            stdout=log_handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # survives the terminal that started it
        )
    deadline = time.monotonic() + DETACH_TIMEOUT_S
    while time.monotonic() < deadline:
        state = read_state()
        if state is not None and state["pid"] == child.pid:
            print(summary(state))
            print(f"\n{state['state_note']}")
            print(f"\nRunning in the background (pid {child.pid}); log: {log_file}")
            print("`python -m localcloud stop` stops it.")
            return 0
        if child.poll() is not None:
            break
        time.sleep(0.1)
    else:
        child.kill()
    print(f"the local cloud did not start; last lines of {log_file}:", file=sys.stderr)
    print("\n".join(log_file.read_text(errors="replace").splitlines()[-30:]), file=sys.stderr)
    return 1
