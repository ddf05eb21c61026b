"""The commands `localcloud up` prints under "Try:", pasted into a user's shell as they are.

Each line that calls a stock client (the AWS CLI, curl) must work with only the exports `up`
prints beside it. The files they name (`event.json`, `item.json`) are the user's: here an event
of this repository's `events/` and an item of the processed table's key shape.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from tests.conformance.runners import REPO_ROOT, TIMEOUT_S

from localcloud.cli.up import state_of
from localcloud.cloud import LocalCloud
from localcloud.summary import examples

CLIENT = "AWS CLI v1"


def _printed_examples(cloud: LocalCloud) -> list[str]:
    assert cloud.stack is not None
    return examples(state_of(cloud, cloud.stack), cloud.endpoints)


@pytest.mark.conformance(client=CLIENT, operation="the Try: lines localcloud up prints")
def test_every_example_up_prints_runs_in_a_users_shell(
    cloud: LocalCloud, user_env: dict[str, str], tmp_path: Path
) -> None:
    event = REPO_ROOT / "events" / "inbox_outbox" / "apigw-get-outbox.json"
    shutil.copy(event, tmp_path / "event.json")
    item = {"PK": {"S": "try"}, "SK": {"S": "example"}}
    (tmp_path / "item.json").write_text(json.dumps(item))
    lines = [line for line in _printed_examples(cloud) if line.split()[0] in {"aws", "curl"}]
    assert any(" sqs " in line for line in lines), lines  # the case the CLI v1 broke
    for line in lines:
        done = _run(line, tmp_path, user_env)
        assert done.returncode == 0, f"$ {line}\nexit {done.returncode}\n{done.stderr[-2000:]}"
        if line.startswith("curl "):
            _assert_reached_the_function(line, done.stdout, tmp_path / "body")


def _run(line: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    if line.startswith("curl "):  # the status and the body apart: judged below
        line = line.replace("curl ", "curl -sS -o body -w '%{http_code}' ", 1)
    return subprocess.run(
        ["bash", "-c", line],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )


def _assert_reached_the_function(line: str, status: str, body: Path) -> None:
    """Signed and routed: the app answered. Its sample body may be one the app rejects (400 with
    API Gateway's message shape); refused signatures (403) and unknown routes (404) fail."""
    code = int(status)
    answer = body.read_text()
    assert code < 400 or (code < 500 and code not in {403, 404}), f"$ {line}\n{code} {answer}"
    if code >= 400:
        assert isinstance(json.loads(answer).get("message"), str), f"$ {line}\n{code} {answer}"
