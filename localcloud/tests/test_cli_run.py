"""``python -m localcloud run`` and ``invoke --template``: a cloud started for one command, and a
taken API port reported in one line. Real subprocesses, free ports, a probe stack."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

import pytest
from tests.cli_support import TEMPLATE, cli, event_file, free_port

pytestmark = pytest.mark.slow


def test_invoke_without_a_running_cloud_uses_an_ephemeral_one(tmp_path: Path) -> None:
    event = event_file(tmp_path, "event.json", {"action": "echo", "from": "cli"})

    result = cli(tmp_path, "invoke", "ProbeFunction", "-e", event, "--template", str(TEMPLATE))

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["event"] == {"action": "echo", "from": "cli"}
    assert not (tmp_path / ".localcloud" / "state.json").exists()


def test_run_gives_the_command_the_cloud_and_returns_its_exit_code(tmp_path: Path) -> None:
    script = (
        "import boto3, os, sys\n"
        "stack = boto3.client('cloudformation').describe_stacks("
        "StackName=os.environ['AWS_SAM_STACK_NAME'])['Stacks'][0]\n"
        "keys = sorted(o['OutputKey'] for o in stack['Outputs'])\n"
        "sys.exit(7 if keys == ['InboxUrl', 'ProbeFunctionName'] else 1)\n"
    )
    result = cli(
        tmp_path, "run", "--template", str(TEMPLATE), "--stack-name", "run-test",
        "--port", str(free_port()), "--api-port", str(free_port()),
        "--", sys.executable, "-c", script,
    )  # fmt: skip

    assert result.returncode == 7, result.stderr


def test_a_taken_api_port_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli(
            tmp_path, "run", "--template", str(TEMPLATE), "--stack-name", "port-test",
            "--port", str(free_port()), "--api-port", str(port), "--", "true",
        )  # fmt: skip

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"Port {port} on 127.0.0.1 (API front) is in use" in result.stderr.splitlines()[-1]
