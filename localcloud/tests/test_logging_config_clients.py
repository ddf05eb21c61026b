"""A function's ``LoggingConfig`` as stock clients read it: AWS CLI v1's
``get-function-configuration`` reports it and ``sam logs`` follows its log group, run as a user
would, with only the environment a user sets.

The conformance suite (``tests/conformance``) covers the functions' logs and metrics with the
stock clients on this repository's template, which declares no ``LoggingConfig``; these cases
need a template that does (``functions_under_test/logs_template.yaml``), so they deploy it here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
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


def _run(env: dict[str, str], cwd: Path, *command: str) -> str:
    """What the command printed on stdout; AssertionError with its stderr when it fails."""
    done = subprocess.run(
        [str(BIN / command[0]), *command[1:]],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"{command}: {done.stderr}"
    return done.stdout


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


def _name(cloud: LocalCloud, logical_id: str) -> str:
    assert cloud.stack is not None
    [spec] = [s for s in cloud.stack.functions.values() if s.logical_id == logical_id]
    return spec.function_name


def test_sam_logs_follows_a_logging_config_log_group(
    cloud: LocalCloud, user_env: dict[str, str], tmp_path: Path
) -> None:
    """sam logs asks get-function-configuration for LoggingConfig.LogGroup."""
    name, text = _name(cloud, "JsonLogsFunction"), f"json-{uuid.uuid4().hex}"
    request_id = _invoke(user_env, tmp_path, name, {"action": "print", "text": text})["request_id"]

    def shown() -> str | None:
        printed = _run(
            user_env, tmp_path, "sam", "logs", "--stack-name", STACK, "--name", "JsonLogsFunction"
        )
        return printed if text in printed and "platform.report" in printed else None

    printed = _eventually(shown, "the invoke's lines and platform.report in sam logs")
    assert f'"requestId": "{request_id}"' in printed


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
