"""The state file of a running cloud (``.localcloud/state.json``): written by ``up``, read by
``stop``, ``status``, ``env`` and ``invoke``, and trusted only while its process is the cloud."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Any

from localcloud.config import state_dir
from localcloud.process_identity import ProcessIdentity, identify, is_same_process, pid_alive

STATE_FILE = "state.json"


def state_path() -> Path:
    return state_dir() / STATE_FILE


def read_state() -> dict[str, Any] | None:
    """The running cloud's state, or None: no file, or its process is gone.

    A state file outlives a cloud killed with SIGKILL or SIGHUP, and its PID is soon another
    process's. The cloud counts as running only while that PID still has the start time and
    command line the cloud recorded; otherwise the stale file is removed, with a note.
    """
    try:
        state: dict[str, Any] = json.loads(state_path().read_text())
    except (OSError, ValueError):
        return None
    pid = int(state.get("pid", 0))
    reason = _stale_reason(state, pid)
    if reason is None:
        return state
    remove_state(pid)
    print(f"removed the stale local cloud state (pid {pid}): {reason}", file=sys.stderr)  # noqa: T201
    return None


def _stale_reason(state: dict[str, Any], pid: int) -> str | None:
    if not pid_alive(pid):
        return "that process is gone"
    if not is_cloud(pid, state):
        return f"pid {pid} is now another process"
    return None


def is_cloud(pid: int, state: dict[str, Any]) -> bool:
    """Whether ``pid`` is still the process that wrote ``state``."""
    recorded = ProcessIdentity.from_dict(state.get("process"))
    if recorded is not None:
        return is_same_process(pid, recorded)
    # A state file written before identities were recorded: the command line must be ours.
    current = identify(pid)
    return current is not None and "localcloud" in " ".join(current.command)


def still_running(pid: int, state: dict[str, Any]) -> bool:
    """Whether ``pid`` runs and is still the cloud that wrote ``state`` (the one PID check)."""
    return pid_alive(pid) and is_cloud(pid, state)


def write_state(state: dict[str, Any]) -> None:
    path = state_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(state, indent=2))
    temporary.replace(path)  # readers never see half a file


def remove_state(pid: int) -> None:
    with contextlib.suppress(OSError, ValueError):
        if json.loads(state_path().read_text()).get("pid") == pid:
            state_path().unlink()
