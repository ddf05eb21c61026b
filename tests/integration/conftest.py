"""Live-stack fixtures: everything comes from the outputs of the stack named by AWS_SAM_STACK_NAME.

Knobs (environment): INTEGRATION_SLA_SECONDS (how long a record or message may take end to end,
default 60), OUTBOX_POLL_ATTEMPTS / OUTBOX_POLL_INTERVAL_SECONDS (GET /outbox polling).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from stackclient.http import SignedApi, api_base_url
from stackclient.stack import Stack, StackNotFound, load_stack

# Latency rows travel as user properties of the test reports, so they reach the summary from
# pytest-xdist workers too.
_LATENCY_ROWS: list[str] = []


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
def outbox_turn(stack: Stack) -> Iterator[None]:
    """One outbox reader at a time across every process of this run (xdist workers, and the
    subprocesses a test starts): while a test waits for its messages, no other reader's reads
    count towards their five receives before OutputQueueDLQ.

    A file lock, because pytest-xdist's ``xdist_group`` is silently ignored here (xdist 3.8.0
    on pytest 9.2: the group suffix it writes to ``item._nodeid`` no longer reaches the node
    id, so grouped tests ran on both workers). Keyed by stack and endpoint, so runs against
    other clouds do not wait for each other.
    """
    where = f"{stack.name}@{os.environ.get('AWS_ENDPOINT_URL', 'aws')}"
    name = f"outbox-reader-{hashlib.sha256(where.encode()).hexdigest()[:16]}.lock"
    with (Path(tempfile.gettempdir()) / name).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def run_token() -> str:
    """Shared by everything this test process creates: how its outbox reader knows its own."""
    return f"it-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def unique(run_token: str) -> Iterator[str]:
    """A per-test token: every record, message and batch a test creates carries it."""
    yield f"{run_token}-{uuid.uuid4().hex[:8]}"


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call":
        _LATENCY_ROWS.extend(value for key, value in report.user_properties if key == "latency")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _LATENCY_ROWS:
        terminalreporter.section("end-to-end latency")
        for row in sorted(_LATENCY_ROWS):
            terminalreporter.write_line(row)
