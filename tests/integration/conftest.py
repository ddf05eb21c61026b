"""Live-stack fixtures: everything comes from the outputs of the stack named by AWS_SAM_STACK_NAME.

Knobs (environment): INTEGRATION_SLA_SECONDS (how long a record or message may take end to end,
default 60), OUTBOX_POLL_ATTEMPTS / OUTBOX_POLL_INTERVAL_SECONDS (GET /outbox polling).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest

from stackclient.http import SignedApi, api_base_url
from stackclient.stack import Stack, StackNotFound, load_stack


@dataclass
class LatencyReport:
    rows: list[str] = field(default_factory=list)


_REPORT = LatencyReport()


@pytest.fixture(scope="session")
def stack() -> Stack:
    try:
        return load_stack()
    except StackNotFound as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="session")
def sla_s() -> float:
    return float(os.environ.get("INTEGRATION_SLA_SECONDS", "60"))


@pytest.fixture(scope="session")
def aws(stack: Stack) -> boto3.session.Session:
    return boto3.session.Session(region_name=stack.region)


@pytest.fixture(scope="session")
def kinesis(aws: boto3.session.Session) -> Any:
    return aws.client("kinesis")


@pytest.fixture(scope="session")
def sqs(aws: boto3.session.Session) -> Any:
    return aws.client("sqs")


@pytest.fixture(scope="session")
def dynamodb(aws: boto3.session.Session) -> Any:
    return aws.resource("dynamodb")


@pytest.fixture(scope="session")
def api(stack: Stack) -> SignedApi:
    return SignedApi(api_base_url(stack.output("InboxOutboxApiUrl")), stack.region)


@pytest.fixture
def unique() -> Iterator[str]:
    """A per-test token: every record, message and batch a test creates carries it."""
    yield f"it-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def latency_report() -> LatencyReport:
    return _REPORT


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _REPORT.rows:
        terminalreporter.section("end-to-end latency")
        for row in _REPORT.rows:
            terminalreporter.write_line(row)
