"""What the command-line tests share: ``python -m localcloud`` run as a user runs it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

# `python -m localcloud` in a subprocess finds this checkout's package, whatever is installed.
PACKAGE_SRC = Path(__file__).resolve().parents[1] / "src"
FUNCTIONS_UNDER_TEST = Path(__file__).resolve().parent / "functions_under_test"

TEMPLATE = FUNCTIONS_UNDER_TEST / "template.yaml"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def cli(cwd: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(PACKAGE_SRC),
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    return subprocess.run(
        [sys.executable, "-m", "localcloud", *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def event_file(tmp_path: Path, name: str, event: object) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(event))
    return str(path)
