"""``python -m localcloud`` as a user runs it: ``up --detach``, ``status``, ``invoke`` and ``stop``
against one detached cloud, and a state file whose PID another process now holds.

Real subprocesses, free ports, a probe stack (``cli_support``). The commands that start a cloud of
their own for one command (``run``, ``invoke --template``) are in ``test_cli_run.py``: two files,
so ``--dist loadfile`` spreads them over two workers.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from tests.cli_support import TEMPLATE, alive, cli, event_file, free_port

pytestmark = pytest.mark.slow


def test_up_detached_status_invoke_stop(tmp_path: Path) -> None:
    port = free_port()
    up = cli(
        tmp_path, "up", "--detach", "--template", str(TEMPLATE), "--stack-name", "cli-test",
        "--port", str(port), "--api-port", str(free_port()),
        "--parameter-overrides", "Greeting=bonjour",
        "--cors-allow-origin", "http://localhost:3000",
    )  # fmt: skip
    try:
        assert up.returncode == 0, up.stderr
        assert f"export AWS_ENDPOINT_URL=http://127.0.0.1:{port}" in up.stdout
        assert "export AWS_SAM_STACK_NAME=cli-test" in up.stdout
        assert "State: in memory only" in up.stdout  # without --persist, up says so
        state = json.loads((tmp_path / ".localcloud" / "state.json").read_text())
        cfn = boto3.client("cloudformation", endpoint_url=f"http://127.0.0.1:{port}")
        outputs = cfn.describe_stacks(StackName="cli-test")["Stacks"][0]["Outputs"]
        assert {o["OutputKey"] for o in outputs} == {"ProbeFunctionName", "InboxUrl"}

        # The allowed origin reached the detached cloud; any other is refused.
        endpoint = f"http://127.0.0.1:{port}/_localcloud/pollers"
        granted = requests.get(endpoint, headers={"Origin": "http://localhost:3000"}, timeout=10)
        assert granted.status_code == 403  # control endpoints: never for web pages
        sqs_scope = f"Credential=x/{time.strftime('%Y%m%d')}/us-east-1/sqs/aws4_request"
        for origin, expected in (("http://localhost:3000", 200), ("https://evil.example", 403)):
            answer = requests.get(
                f"http://127.0.0.1:{port}/?Action=ListQueues",
                headers={"Origin": origin, "Authorization": f"AWS4-HMAC-SHA256 {sqs_scope}"},
                timeout=10,
            )
            assert answer.status_code == expected, origin
        assert answer.headers.get("Access-Control-Allow-Origin") is None

        # Proxy mode: AWS's endpoints through the proxy instead of AWS_ENDPOINT_URL.
        proxied = cli(tmp_path, "env", "--proxy")
        assert proxied.returncode == 0, proxied.stderr
        proxy_exports = dict(
            line.removeprefix("export ").split("=", 1) for line in proxied.stdout.splitlines()
        )
        assert "AWS_ENDPOINT_URL" not in proxy_exports
        assert proxy_exports["HTTPS_PROXY"] == state["proxy_url"]
        assert proxy_exports["AWS_SAM_STACK_NAME"] == "cli-test"
        for name in ("REQUESTS_CA_BUNDLE", "AWS_CA_BUNDLE", "SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS"):
            assert Path(proxy_exports[name]).is_file(), name
        assert proxy_exports["NO_PROXY"].startswith("localhost,127.0.0.1")

        status = cli(tmp_path, "status")
        assert status.returncode == 0
        assert "Event source mappings:\n  none" in status.stdout  # the probe stack has none

        env_event = event_file(tmp_path, "env.json", {"action": "env", "names": ["GREETING"]})
        invoked = cli(tmp_path, "invoke", "ProbeFunction", "-e", env_event)
        assert invoked.returncode == 0, invoked.stderr
        assert json.loads(invoked.stdout) == {"GREETING": "bonjour"}
        assert "START RequestId: " in invoked.stderr

        echoed = cli(tmp_path, "invoke", "ProbeFunction", "-e", "-", stdin='{"action": "echo"}')
        worker_pid = json.loads(echoed.stdout)["pid"]
        failed = cli(tmp_path, "invoke", "ProbeFunction", "-e", "-", stdin='{"action": "raise"}')
        assert failed.returncode == 1
        assert json.loads(failed.stdout)["errorType"] == "ValueError"
    finally:
        stopped = cli(tmp_path, "stop")

    assert stopped.returncode == 0
    assert cli(tmp_path, "status").returncode == 1
    assert not alive(state["pid"])
    assert not alive(worker_pid)


def _redeployed(template: dict[str, Any]) -> str:
    """The stack's template as ``up`` deployed it, one queue and its output more (sam deploy
    of a changed template: the code where the first deploy put it)."""
    template["Resources"]["Redeployed"] = {"Type": "AWS::SQS::Queue"}
    template["Outputs"] = {
        "ProbeFunctionName": {"Value": {"Ref": "ProbeFunction"}},
        "RedeployedQueueArn": {"Value": {"Fn::GetAtt": ["Redeployed", "Arn"]}},
    }
    return json.dumps(template)


def test_status_follows_a_redeploy_of_ups_own_stack(tmp_path: Path) -> None:
    """sam deploy / sam sync into the running cloud of the stack ``up`` deployed: ``status``
    prints that stack's outputs as they are now, not as ``up`` first deployed them."""
    port = free_port()
    up = cli(
        tmp_path, "up", "--detach", "--template", str(TEMPLATE), "--stack-name", "followed",
        "--port", str(port), "--api-port", str(free_port()),
    )  # fmt: skip
    try:
        assert up.returncode == 0, up.stderr
        assert "InboxUrl" in up.stdout
        cfn = boto3.client("cloudformation", endpoint_url=f"http://127.0.0.1:{port}")
        cfn.update_stack(
            StackName="followed",
            TemplateBody=_redeployed(cfn.get_template(StackName="followed")["TemplateBody"]),
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
        )
        arn = next(
            o["OutputValue"]
            for o in cfn.describe_stacks(StackName="followed")["Stacks"][0]["Outputs"]
            if o["OutputKey"] == "RedeployedQueueArn"
        )
        status = cli(tmp_path, "status")
        assert status.returncode == 0, status.stderr
        assert f"RedeployedQueueArn  {arn}" in status.stdout
        assert "InboxUrl" not in status.stdout
    finally:
        cli(tmp_path, "stop")


def _stale_state(tmp_path: Path, pid: int, process: dict[str, object] | None) -> Path:
    """The state file a killed cloud leaves behind, its PID now held by another process."""
    state: dict[str, object] = {
        "pid": pid,
        "stack_name": "gone",
        "region": "us-east-1",
        "endpoint_url": "http://127.0.0.1:1",
        "api_front_url": None,
        "outputs": {},
        "functions": {},
        "rest_apis": [],
    }
    if process is not None:
        state["process"] = process
    path = tmp_path / ".localcloud" / "state.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(state))
    return path


@pytest.mark.parametrize(
    "process",
    [
        # The identity the dead cloud recorded: same PID, another start time and command line.
        {"start": "1", "command": [sys.executable, "-m", "localcloud", "up", "--quiet"]},
        None,  # a state file from before identities were recorded
    ],
    ids=["recorded-identity", "no-identity"],
)
def test_a_reused_pid_is_not_the_cloud(tmp_path: Path, process: dict[str, object] | None) -> None:
    bystander = subprocess.Popen(["sleep", "60"])
    try:
        state_file = _stale_state(tmp_path, bystander.pid, process)

        status = cli(tmp_path, "status")
        assert status.returncode == 1
        assert "stale" in status.stderr
        assert not state_file.exists()

        _stale_state(tmp_path / "again", bystander.pid, process)
        env = cli(tmp_path / "again", "env")
        assert env.returncode == 1
        assert "export" not in env.stdout

        _stale_state(tmp_path / "once-more", bystander.pid, process)
        stopped = cli(tmp_path / "once-more", "stop")
        assert stopped.returncode == 0
        assert "no local cloud is running" in stopped.stdout
        assert bystander.poll() is None, "stop signalled an unrelated process"
        assert alive(bystander.pid)
    finally:
        bystander.kill()
        bystander.wait()
