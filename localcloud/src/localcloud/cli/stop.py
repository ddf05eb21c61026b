"""``stop``: end the cloud the state file names, if its process is still that cloud."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import time

from localcloud.state_file import read_state, remove_state, still_running


def cmd_stop(_args: argparse.Namespace) -> int:
    state = read_state()
    if state is None:
        print("no local cloud is running")
        return 0
    pid = int(state["pid"])
    # Checked again before each signal: the cloud may exit meanwhile and its PID be reused.
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while still_running(pid, state) and time.monotonic() < deadline:
        time.sleep(0.1)
    if still_running(pid, state):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    remove_state(pid)
    print(f"stopped the local cloud (pid {pid})")
    return 0
