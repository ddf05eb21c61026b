"""bench.instructions' measured process runs: valgrind only counts what it executes.

Without valgrind (minutes): the same script, the same environment, a few records.
"""

from __future__ import annotations

import subprocess

from bench.instructions import invokes_command
from bench.processes import REPO, stub_dynamodb
from bench.record_processor import worker_env


def test_the_measured_invokes_run_against_the_stub() -> None:
    with stub_dynamodb(0.0) as stub:
        answer = subprocess.run(
            invokes_command(60, 1),
            env=worker_env(stub.url, 8),
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )
    assert answer.returncode == 0, answer.stderr[-2000:]
