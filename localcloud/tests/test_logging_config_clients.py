"""Stock clients read the functions' logs and metrics from a fresh local cloud: AWS CLI v1
(``logs filter-log-events``, ``cloudwatch get-metric-data``) and SAM CLI (``sam logs``,
``sam remote invoke``), each run as a user would, with only the environment a user sets.

Self-contained (its own fixture) so it can join the conformance suite as it is.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest

from localcloud.cloud import CloudOptions, LocalCloud
from localcloud.config import ACCESS_KEY_ID, SECRET_ACCESS_KEY

pytestmark = pytest.mark.slow

TEMPLATE = Path(__file__).resolve().parent / "functions_under_test" / "logs_template.yaml"
BIN = Path(sys.executable).parent
STACK = "logs-clients"
REGION = "us-east-1"
# Generous: delivery runs every 0.2 s, but a shared 2-core machine may be slow.
WAIT_S = 60.0

T = TypeVar("T")


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    options = CloudOptions(
        template=TEMPLATE, stack_name=STACK, region=REGION, with_esm=False, with_api=False
    )
    with LocalCloud(options) as running:
        yield running


@pytest.fixture(scope="module")
def user_env(cloud: LocalCloud, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """What a user exports (``localcloud env``), and nothing of the machine's AWS setup."""
    home = tmp_path_factory.mktemp("home")
    return {
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(home),
        "AWS_ENDPOINT_URL": cloud.endpoint_url,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "SAM_CLI_TELEMETRY": "0",
    }


def _run(
    env: dict[str, str], cwd: Path, *command: str, stderr_too: bool = False, check: bool = True
) -> str:
    """The command's output; with ``check=False``, "" when it fails (not there yet)."""
    done = subprocess.run(
        [str(BIN / command[0]), *command[1:]],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    if done.returncode != 0 and not check:
        return ""
    assert done.returncode == 0, f"{command}: {done.stderr}"
    return done.stdout + (done.stderr if stderr_too else "")


def _eventually(probe: Callable[[], T | None], what: str) -> T:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"not within {WAIT_S:.0f} s: {what}")


def _invoke(env: dict[str, str], tmp_path: Path, name: str, event: dict[str, Any]) -> Any:
    out = tmp_path / f"out-{uuid.uuid4().hex}.json"
    _run(
        env, tmp_path,
        "aws", "lambda", "invoke", "--function-name", name,
        "--payload", json.dumps(event), str(out),
    )  # fmt: skip
    return json.loads(out.read_text())


def _sam_logs_showing(env: dict[str, str], cwd: Path, logical_id: str, *markers: str) -> str:
    """``sam logs`` of one function, once its output holds every marker."""

    def output() -> str | None:
        printed = _run(env, cwd, "sam", "logs", "--stack-name", STACK, "--name", logical_id)
        return printed if all(marker in printed for marker in markers) else None

    return _eventually(output, f"sam logs of {logical_id} showing {markers}")


def _name(cloud: LocalCloud, logical_id: str) -> str:
    assert cloud.stack is not None
    [spec] = [s for s in cloud.stack.functions.values() if s.logical_id == logical_id]
    return spec.function_name


def test_aws_cli_filter_log_events_reads_an_invoke(
    cloud: LocalCloud, user_env: dict[str, str], tmp_path: Path
) -> None:
    name, text = _name(cloud, "ProbeFunction"), f"cli-{uuid.uuid4().hex}"
    request_id = _invoke(user_env, tmp_path, name, {"action": "print", "text": text})["request_id"]

    def messages() -> list[str] | None:
        printed = _run(
            user_env, tmp_path,
            "aws", "logs", "filter-log-events", "--log-group-name", f"/aws/lambda/{name}",
            check=False,  # the group exists once the first lines are delivered
        )  # fmt: skip
        found = [event["message"] for event in json.loads(printed or '{"events": []}')["events"]]
        return (
            found if any(m.startswith(f"REPORT RequestId: {request_id}") for m in found) else None
        )

    found = _eventually(messages, "the invoke's REPORT line")
    start = found.index(f"START RequestId: {request_id} Version: $LATEST")
    assert found[start + 1 : start + 4] == [
        text,
        f"{text} (stderr)",
        f"END RequestId: {request_id}",
    ]


def test_aws_cli_get_metric_data_returns_emf_metrics(
    cloud: LocalCloud, user_env: dict[str, str], tmp_path: Path
) -> None:
    name, namespace = _name(cloud, "ProbeFunction"), f"Conformance{uuid.uuid4().hex[:8]}"
    start = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    for written in (2, 5):
        event = {
            "action": "metrics",
            "namespace": namespace,
            "metrics": {"RecordsWritten": written},
        }
        assert _invoke(user_env, tmp_path, name, event)["emitted"]
    query = [
        {
            "Id": "written",
            "MetricStat": {
                "Metric": {
                    "Namespace": namespace,
                    "MetricName": "RecordsWritten",
                    "Dimensions": [{"Name": "service", "Value": "probe"}],
                },
                "Period": 60,
                "Stat": "Sum",
            },
        }
    ]

    def total() -> float | None:
        end = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
        command = ["aws", "cloudwatch", "get-metric-data", "--metric-data-queries"]
        command += [json.dumps(query), "--start-time", start, "--end-time", end]
        answer = json.loads(_run(user_env, tmp_path, *command))
        values = answer["MetricDataResults"][0]["Values"]
        return sum(values) if sum(values) == 7 else None

    assert _eventually(total, "RecordsWritten summing to 7") == 7


def test_sam_logs_reads_a_function_in_the_default_log_group(
    cloud: LocalCloud, user_env: dict[str, str], tmp_path: Path
) -> None:
    name, text = _name(cloud, "ProbeFunction"), f"sam-logs-{uuid.uuid4().hex}"
    request_id = _invoke(user_env, tmp_path, name, {"action": "print", "text": text})["request_id"]

    printed = _sam_logs_showing(
        user_env, tmp_path, "ProbeFunction", f"REPORT RequestId: {request_id}"
    )
    assert text in printed and f"START RequestId: {request_id}" in printed


def test_sam_logs_follows_a_logging_config_log_group(
    cloud: LocalCloud, user_env: dict[str, str], tmp_path: Path
) -> None:
    """sam logs asks get-function-configuration for LoggingConfig.LogGroup."""
    name, text = _name(cloud, "JsonLogsFunction"), f"json-{uuid.uuid4().hex}"
    request_id = _invoke(user_env, tmp_path, name, {"action": "print", "text": text})["request_id"]

    printed = _sam_logs_showing(user_env, tmp_path, "JsonLogsFunction", text, "platform.report")
    assert f'"requestId": "{request_id}"' in printed


def test_sam_remote_invoke_runs_the_function_and_shows_its_log(
    cloud: LocalCloud, user_env: dict[str, str], tmp_path: Path
) -> None:
    text = f"remote-{uuid.uuid4().hex}"
    event = json.dumps({"action": "print", "text": text})

    printed = _run(
        user_env, tmp_path,
        "sam", "remote", "invoke", "--stack-name", STACK, "ProbeFunction", "--event", event,
        stderr_too=True,  # where it prints the log tail
    )  # fmt: skip

    assert '"printed": true' in printed
    assert text in printed and "REPORT RequestId:" in printed


def test_aws_cli_get_function_configuration_reports_logging_config(
    cloud: LocalCloud, user_env: dict[str, str], tmp_path: Path
) -> None:
    def logging_config(logical_id: str) -> Any:
        name = _name(cloud, logical_id)
        printed = _run(
            user_env,
            tmp_path,
            "aws",
            "lambda",
            "get-function-configuration",
            "--function-name",
            name,
        )
        return json.loads(printed)["LoggingConfig"]

    assert logging_config("ProbeFunction") == {
        "LogFormat": "Text",
        "LogGroup": f"/aws/lambda/{_name(cloud, 'ProbeFunction')}",
    }
    assert logging_config("JsonLogsFunction") == {
        "LogFormat": "JSON",
        "LogGroup": f"/{STACK}/functions",
        "ApplicationLogLevel": "INFO",
        "SystemLogLevel": "INFO",
    }
