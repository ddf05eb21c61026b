"""One local cloud for the whole reliability session: real template, real handlers, free ports.

Started in-process so the scenarios can reach the worker pools (to SIGKILL a worker) and the
cloud's log stream (function output). The functions keep the template's timeouts; the timeout
scenario (d) lowers RecordProcessorFunction's for its own run with UpdateFunctionConfiguration,
as an operator would (``RELIABILITY_FUNCTION_TIMEOUT``, default 5 s), so it costs seconds, not
a minute; an invoke without the injected delay takes well under it (measured: about 1-3 s for a
1,000-record batch with faults). The inbox's transient-failure backoff starts at
``RELIABILITY_RETRY_BACKOFF_BASE`` (default 1 s; production 5 s, template parameter
InboxRetryBackoffBaseSeconds) so a retried message does not wait out the production 5 + 10 + 20 s;
it still doubles with each receive and the DLQ still follows the fifth.

Sizes: ``SOAK_RECORDS`` (default 1000) records per record-stream scenario, ``SOAK_MESSAGES``
(default 100) inbox messages; ``make soak`` runs with 5000/500. ``FAULT_SEED`` seeds the faults.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from localcloud.cloud import CloudOptions, LocalCloud
from localcloud.config import ACCESS_KEY_ID, SECRET_ACCESS_KEY
from stackclient.http import SignedApi, local_api_url
from stackclient.stack import Stack
from tests.reliability.faults_and_tallies import FaultControl, LogCapture, Summary
from tests.repository import TEMPLATE

STACK_NAME = "reliability"
REGION = "us-east-1"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "reliability: fault-injection scenarios against an in-process local cloud"
    )


@dataclass(frozen=True)
class Sizes:
    records: int
    messages: int
    function_timeout_s: int
    retry_backoff_base_s: int
    seed: int


@pytest.fixture(scope="session")
def sizes() -> Sizes:
    return Sizes(
        records=int(os.environ.get("SOAK_RECORDS", "1000")),
        messages=int(os.environ.get("SOAK_MESSAGES", "100")),
        function_timeout_s=int(os.environ.get("RELIABILITY_FUNCTION_TIMEOUT", "5")),
        retry_backoff_base_s=int(os.environ.get("RELIABILITY_RETRY_BACKOFF_BASE", "1")),
        seed=int(os.environ.get("FAULT_SEED", "7")),
    )


@pytest.fixture(scope="session")
def aws_env() -> Iterator[None]:
    """Never the machine's AWS configuration: the local credentials and region only."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_REGION"):
            patch.delenv(name, raising=False)
        patch.setenv("AWS_DEFAULT_REGION", REGION)
        patch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
        patch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
        yield


@pytest.fixture(scope="session")
def log_capture() -> Iterator[LogCapture]:
    capture = LogCapture()
    cloud_logger = logging.getLogger("localcloud")
    function_logger = logging.getLogger("localcloud.function")
    saved = (cloud_logger.level, function_logger.propagate)
    cloud_logger.setLevel(logging.INFO)
    # Thousands of function lines per scenario: keep them out of pytest's own log capture.
    function_logger.propagate = False
    cloud_logger.addHandler(capture)
    function_logger.addHandler(capture)
    yield capture
    cloud_logger.removeHandler(capture)
    function_logger.removeHandler(capture)
    cloud_logger.setLevel(saved[0])
    function_logger.propagate = saved[1]


@pytest.fixture(scope="session")
def cloud(aws_env: None, log_capture: LogCapture, sizes: Sizes) -> Iterator[LocalCloud]:
    local = LocalCloud(
        CloudOptions(
            template=TEMPLATE,
            stack_name=STACK_NAME,
            region=REGION,
            parameter_overrides=(
                "DeployTestResources=true",
                "LogLevel=INFO",
                f"InboxRetryBackoffBaseSeconds={sizes.retry_backoff_base_s}",
            ),
            fault_seed=sizes.seed,
        )
    )
    local.start()
    os.environ["AWS_ENDPOINT_URL"] = local.endpoint_url
    try:
        yield local
    finally:
        os.environ.pop("AWS_ENDPOINT_URL", None)
        local.stop()


@pytest.fixture(scope="session")
def stack(cloud: LocalCloud) -> Stack:
    assert cloud.stack is not None
    return Stack(name=STACK_NAME, region=REGION, outputs=dict(cloud.stack.outputs))


@pytest.fixture(scope="session")
def session(cloud: LocalCloud) -> boto3.session.Session:
    return boto3.session.Session(
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
    )


@pytest.fixture(scope="session")
def clients(session: boto3.session.Session, cloud: LocalCloud) -> dict[str, Any]:
    def client(name: str) -> Any:
        return session.client(name, endpoint_url=cloud.endpoint_url)  # type: ignore[call-overload]

    return {
        "kinesis": client("kinesis"),
        "sqs": client("sqs"),
        "dynamodbstreams": client("dynamodbstreams"),
        "dynamodb": session.resource("dynamodb", endpoint_url=cloud.endpoint_url),
        "dynamodb_client": client("dynamodb"),
        "lambda": client("lambda"),
    }


@pytest.fixture(scope="session")
def api(stack: Stack, cloud: LocalCloud) -> SignedApi:
    assert cloud.api_front_url is not None
    return SignedApi(local_api_url(stack.output("InboxOutboxApiUrl"), cloud.api_front_url), REGION)


@pytest.fixture(scope="session")
def faults(cloud: LocalCloud) -> FaultControl:
    return FaultControl(cloud.endpoint_url)


@pytest.fixture
def clean_faults(faults: FaultControl) -> Iterator[FaultControl]:
    """A scenario starts and ends with no rules in force."""
    faults.clear()
    yield faults
    faults.clear()


# ---------------------------------------------------------------- summary lines

_SUMMARIES: list[str] = []


@pytest.fixture(scope="session")
def report(request: pytest.FixtureRequest) -> Any:
    shown = request.config.getoption("capture") == "no"

    def emit(summary: Summary) -> None:
        line = summary.line()
        _SUMMARIES.append(line)
        if shown:
            print(f"\n{line}", flush=True)

    return emit


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if _SUMMARIES and config.getoption("capture") != "no":
        terminalreporter.section("reliability scenarios")
        for line in _SUMMARIES:
            terminalreporter.write_line(line)
