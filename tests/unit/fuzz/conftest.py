"""Fixtures of the fuzz properties: one moto account per module, a clean environment, a summary.

Hypothesis runs many examples inside one test function, so per-example state (fresh tables and
queues, the handlers' per-container caches) is set up by context managers in the test bodies;
the fixtures here are module-scoped and only provide what examples may share: the environment
and the moto account. Each scenario's counts are printed at the end of the run.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.unit.aws_environment import REGION, isolate_aws
from tests.unit.fuzz import tally

_WORKER_OUTPUT_KEY = "fuzz_tally"


@pytest.fixture(scope="module", autouse=True)
def aws_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Dummy credentials and a fixed region; nothing from the machine's environment leaks in."""
    home = tmp_path_factory.mktemp("aws-home")
    with pytest.MonkeyPatch.context() as patch:
        isolate_aws(patch, home)
        patch.setenv("POWERTOOLS_LOGGER_LOG_EVENT", "false")
        # Millisecond write backoff: the record-stream retries are counted, not timed.
        patch.setenv("WRITE_BACKOFF_BASE_MS", "1")
        patch.setenv("WRITE_BACKOFF_CAP_MS", "2")
        # The inbox function as deployed with test resources: "malformed" is the poison type.
        patch.setenv("POISON_MESSAGE_TYPE", "malformed")
        yield


@dataclass(frozen=True)
class Cloud:
    """Clients of the module's moto account, for setting up and inspecting examples."""

    dynamodb: Any
    sqs: Any


@pytest.fixture(scope="module")
def cloud(aws_environment: None) -> Iterator[Cloud]:
    with mock_aws():
        yield Cloud(
            dynamodb=boto3.client("dynamodb", region_name=REGION),
            sqs=boto3.client("sqs", region_name=REGION),
        )


def pytest_sessionfinish(session: pytest.Session) -> None:
    # On a pytest-xdist worker: hand this worker's counts to the controller.
    worker_output = getattr(session.config, "workeroutput", None)
    if worker_output is not None and tally.TALLIES:
        worker_output[_WORKER_OUTPUT_KEY] = json.dumps(tally.export())


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    exported = getattr(node, "workeroutput", {}).get(_WORKER_OUTPUT_KEY)
    if exported:
        tally.merge(json.loads(exported))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    lines = tally.summary_lines()
    if lines:
        terminalreporter.section("fuzz summary")
        for line in lines:
            terminalreporter.write_line(line)
