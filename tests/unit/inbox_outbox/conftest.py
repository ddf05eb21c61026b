"""Fixtures of the inbox/outbox unit tests: clean AWS environment, moto queues, Lambda context."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core.utils import unix_time_millis
from moto.sqs import models as moto_sqs_models

from inbox_outbox.dal.clients import sqs_client
from inbox_outbox.settings import check_output_settings, process_input_settings
from tests.lambda_context import LambdaContext
from tests.unit.aws_environment import isolate_aws
from tests.unit.inbox_outbox.moto_queues import REGION, InboxOutboxQueues, create_queues


def _clear_container_caches() -> None:
    # Settings and the boto3 client live once per container; each test is a fresh container.
    process_input_settings.cache_clear()
    check_output_settings.cache_clear()
    sqs_client.cache_clear()


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Dummy credentials and a fixed region; nothing from the machine's environment leaks in."""
    isolate_aws(monkeypatch, tmp_path)
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "InboxOutboxUnitTests")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "inbox-outbox")
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "INFO")
    for name in (
        "OUTPUT_QUEUE_URL",
        "POISON_MESSAGE_TYPE",
        "RECEIVE_WAIT_SECONDS",
        "RETRY_BACKOFF_BASE_SECONDS",
        "RETRY_BACKOFF_MAX_SECONDS",
    ):
        monkeypatch.delenv(name, raising=False)
    _clear_container_caches()
    yield
    _clear_container_caches()


@pytest.fixture
def sqs() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("sqs", region_name=REGION)


@pytest.fixture
def queues(sqs: Any, monkeypatch: pytest.MonkeyPatch) -> InboxOutboxQueues:
    """The template's four queues, with both functions' environment pointing at them.

    POISON_MESSAGE_TYPE is "malformed", as when the stack deploys with test resources.
    """
    created = create_queues(sqs)
    monkeypatch.setenv("OUTPUT_QUEUE_URL", created.output.url)
    monkeypatch.setenv("POISON_MESSAGE_TYPE", "malformed")
    # No long-poll wait in unit tests: moto would otherwise sleep on an empty queue.
    monkeypatch.setenv("RECEIVE_WAIT_SECONDS", "0")
    return created


@pytest.fixture
def advance_sqs_clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """Move moto's SQS clock forward, so visibility timeouts can expire without sleeping."""
    offset_ms = 0.0

    def shifted() -> float:
        return float(unix_time_millis()) + offset_ms

    monkeypatch.setattr(moto_sqs_models, "unix_time_millis", shifted)

    def advance(seconds: float) -> None:
        nonlocal offset_ms
        offset_ms += seconds * 1000

    return advance


@pytest.fixture
def lambda_context() -> LambdaContext:
    return LambdaContext()
