"""`localcloud up` from another SAM project's own folder: its template, its samconfig.toml, its
CodeUri's requirements.txt installed, an SQS trigger and a signed Lambda-proxy route."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from tests.apigw.apigw_support import send

PACKAGE_SRC = Path(__file__).resolve().parents[1] / "src"

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(PACKAGE_SRC), "AWS_DEFAULT_REGION": "us-east-1"}
    return subprocess.run(
        [sys.executable, "-m", "localcloud", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def _exports(stdout: str) -> dict[str, str]:
    lines = (line.strip() for line in stdout.splitlines())
    pairs = (
        line.removeprefix("export ").split("=", 1) for line in lines if line.startswith("export ")
    )
    return {name: value for name, value in pairs}


def _receive_one(sqs: Any, queue_url: str, timeout_s: float) -> str | None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        answer = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)
        for message in answer.get("Messages", []):
            return str(message["Body"])
    return None


@pytest.fixture
def greeter(greeter_copy: Path) -> Path:
    return greeter_copy


def test_up_runs_another_project_from_its_folder(greeter: Path) -> None:
    up = _cli(
        greeter, "up", "--detach", "--port", str(_free_port()), "--api-port", str(_free_port())
    )
    try:
        assert up.returncode == 0, up.stderr
        exports = _exports(up.stdout)
        # The stack name and the stage come from the project's samconfig.toml.
        assert exports["AWS_SAM_STACK_NAME"] == "greeter"
        session = boto3.Session(
            aws_access_key_id=exports["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=exports["AWS_SECRET_ACCESS_KEY"],
            region_name="us-east-1",
        )
        cfn = session.client("cloudformation", endpoint_url=exports["AWS_ENDPOINT_URL"])
        outputs = {
            o["OutputKey"]: o["OutputValue"]
            for o in cfn.describe_stacks(StackName="greeter")["Stacks"][0]["Outputs"]
        }
        assert outputs["ApiUrl"].endswith("/v1")

        # The SQS trigger ran the function, which imported its requirements.txt dependency.
        sqs = session.client("sqs", endpoint_url=exports["AWS_ENDPOINT_URL"])
        sqs.send_message(QueueUrl=outputs["RequestsQueueUrl"], MessageBody="queue")
        assert _receive_one(sqs, outputs["GreetingsQueueUrl"], timeout_s=30) == "Hello, queue!"

        # The Lambda-proxy route answers a signed request and refuses an unsigned one.
        api_id = outputs["ApiUrl"].split("//", 1)[1].split(".", 1)[0]
        url = f"{exports['LOCALCLOUD_API_FRONT']}/restapis/{api_id}/v1/_user_request_/hello/api"
        answer = send(
            "GET",
            url,
            access_key=exports["AWS_ACCESS_KEY_ID"],
            secret=exports["AWS_SECRET_ACCESS_KEY"],
        )
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"greeting": "Hello, api!", "caller": exports["AWS_ACCESS_KEY_ID"]}
        assert requests.get(url, timeout=30).status_code == 403

        # What `up` suggests to try names this project's queue and route, not another app's.
        queue_name = outputs["RequestsQueueUrl"].rsplit("/", 1)[1]
        assert f"--queue-name {queue_name} " in up.stdout
        assert f"-X GET '{url.removesuffix('/api')}/name'" in up.stdout
        assert "/inbox" not in up.stdout
    finally:
        stopped = _cli(greeter, "stop")
    assert stopped.returncode == 0, stopped.stderr
    # The dependency was installed into the project's cache, not into the venv.
    cached = list((greeter / ".localcloud" / "deps").glob("*/greeting_words/__init__.py"))
    assert len(cached) == 1
    with pytest.raises(ImportError):
        __import__("greeting_words")


def test_a_requirement_pip_cannot_install_fails_the_deploy_with_pips_reason(greeter: Path) -> None:
    (greeter / "src" / "requirements.txt").write_text("./no-such-folder\n")
    event = greeter / "event.json"
    event.write_text("{}")
    result = _cli(greeter, "invoke", "GreetOverHttpFunction", "-e", str(event))
    assert result.returncode != 0
    assert "requirements.txt failed" in result.stderr
    assert "no-such-folder" in result.stderr


def test_up_hot_reloads_by_default_and_announces_the_debugged_function(
    greeter_started_before: Path,
) -> None:
    greeter = greeter_started_before
    debug_port = _free_port()
    up = _cli(
        greeter, "up", "--detach", "--port", str(_free_port()), "--api-port", str(_free_port()),
        "--debug-function", "GreetOverHttpFunction", "--debug-port", str(debug_port),
    )  # fmt: skip
    try:
        assert up.returncode == 0, up.stderr
        assert "Hot reload: on" in up.stdout
        assert f"Debugger: GreetOverHttpFunction listens on 127.0.0.1:{debug_port}" in up.stdout
        exports = _exports(up.stdout)
        session = boto3.Session(
            aws_access_key_id=exports["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=exports["AWS_SECRET_ACCESS_KEY"],
            region_name="us-east-1",
        )
        lambda_client = session.client("lambda", endpoint_url=exports["AWS_ENDPOINT_URL"])
        event = b'{"pathParameters": {"name": "ab"}, "requestContext": {"identity": {}}}'

        def greeting() -> str:
            answer = lambda_client.invoke(FunctionName="GreetOverHttpFunction", Payload=event)
            return str(json.loads(json.loads(answer["Payload"].read())["body"])["greeting"])

        assert greeting() == "Hello, ab!"
        handlers = greeter / "src" / "greeter" / "handlers.py"
        handlers.write_text(handlers.read_text().replace("greeting(name)", "greeting(name[::-1])"))
        deadline = time.monotonic() + 60
        while (answer := greeting()) != "Hello, ba!":
            assert answer == "Hello, ab!"
            assert time.monotonic() < deadline, "the edit never reached an invoke"
            time.sleep(0.2)
    finally:
        stopped = _cli(greeter, "stop")
    assert stopped.returncode == 0, stopped.stderr
