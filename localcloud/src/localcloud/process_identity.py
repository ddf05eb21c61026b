"""Which process a PID names now: its start time and command line.

A PID alone does not identify a process: after the cloud dies without cleaning up (kill -9,
SIGHUP, a reboot), the kernel hands its PID to the next process. The state file records the
cloud's start time and command line next to its PID, and ``stop`` signals only a process that
still matches both. Linux reads ``/proc``; elsewhere (macOS) ``ps`` answers the same questions.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Field 22 of /proc/PID/stat (1-based), counted after the ")" that ends the command name.
_STAT_STARTTIME_INDEX = 22 - 3


@dataclass(frozen=True)
class ProcessIdentity:
    start: str  # opaque: clock ticks since boot (Linux) or ps's lstart; equal means same process
    command: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"start": self.start, "command": list(self.command)}

    @classmethod
    def from_dict(cls, document: Any) -> ProcessIdentity | None:
        if not isinstance(document, dict):
            return None
        start, command = document.get("start"), document.get("command")
        if not isinstance(start, str) or not isinstance(command, list):
            return None
        return cls(start=start, command=tuple(str(part) for part in command))


def identify(pid: int) -> ProcessIdentity | None:
    """The identity of the live process ``pid``, or None when there is none (or it is hidden)."""
    if pid <= 0:
        return None
    proc = Path("/proc") / str(pid)
    if Path("/proc/self/stat").exists():
        try:
            stat = (proc / "stat").read_text(encoding="ascii", errors="replace")
            raw_command = (proc / "cmdline").read_bytes()
        except OSError:
            return None
        fields = stat.rsplit(")", 1)[1].split()
        command = tuple(part.decode(errors="replace") for part in raw_command.split(b"\0") if part)
        return ProcessIdentity(start=fields[_STAT_STARTTIME_INDEX], command=command)
    return _identify_with_ps(pid)


def _identify_with_ps(pid: int) -> ProcessIdentity | None:
    def ps(column: str) -> str | None:
        result = subprocess.run(  # noqa: S603 - fixed arguments
            ["ps", "-p", str(pid), "-o", f"{column}="],  # noqa: S607 - ps from PATH
            capture_output=True,
            text=True,
            check=False,
        )
        return result.stdout.strip() if result.returncode == 0 and result.stdout.strip() else None

    start, command = ps("lstart"), ps("command")
    if start is None or command is None:
        return None
    # ps joins the arguments with spaces; compare the same way on both sides.
    return ProcessIdentity(start=start, command=tuple(command.split()))


def own_identity() -> ProcessIdentity:
    identity = identify(os.getpid())
    assert identity is not None, "a running process can always see itself"
    return identity


def is_same_process(pid: int, recorded: ProcessIdentity) -> bool:
    return identify(pid) == recorded


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A detached cloud is reparented; where nothing reaps orphans (containers without an init)
    # it lingers as a zombie after exiting.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True
