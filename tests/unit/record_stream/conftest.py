"""Fixtures of the record-stream unit tests: a moto account built from template.yaml's schemas.

Tables and the rejected queue are created inside `mock_aws` with the key schema the template
declares, the handlers' settings and cached clients are reset around each test, and the
environment never comes from the machine (region, dummy credentials, no endpoint override).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import boto3
import pytest
from moto import mock_aws

from record_stream.dal import clients
from record_stream.handlers import listener as listener_module
from record_stream.handlers import process_records as process_records_module
from record_stream.settings import listener_settings, processor_settings
from tests.lambda_context import LambdaContext
from tests.unit.aws_environment import isolate_aws
from tests.unit.record_stream.moto_resources import (
    LISTENER_TABLE,
    METRICS_NAMESPACE,
    PROCESSED_TABLE,
    REJECTED_QUEUE,
    RecordStreamAws,
    template_table,
)


def _reset_container_caches() -> None:
    """What a new Lambda container starts with: no settings read, no clients built."""
    for cached in (
        processor_settings,
        listener_settings,
        clients.dynamodb_client,
        clients.sqs_client,
        process_records_module.processed_table_writer,
        process_records_module.rejected_records_queue,
        listener_module.listener_table_writer,
    ):
        cached.cache_clear()


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_aws(monkeypatch, tmp_path)
    monkeypatch.setenv("POWERTOOLS_LOGGER_LOG_EVENT", "false")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", METRICS_NAMESPACE)
    # Millisecond backoff keeps retry tests fast; the retry count is what they check.
    monkeypatch.setenv("WRITE_BACKOFF_BASE_MS", "1")
    monkeypatch.setenv("WRITE_BACKOFF_CAP_MS", "2")


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordStreamAws]:
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        dynamodb.create_table(TableName=PROCESSED_TABLE, **template_table("ProcessedRecordsTable"))
        dynamodb.create_table(TableName=LISTENER_TABLE, **template_table("ListenerTable"))
        queue_url = sqs.create_queue(QueueName=REJECTED_QUEUE)["QueueUrl"]
        monkeypatch.setenv("PROCESSED_TABLE_NAME", PROCESSED_TABLE)
        monkeypatch.setenv("LISTENER_TABLE_NAME", LISTENER_TABLE)
        monkeypatch.setenv("REJECTED_RECORDS_QUEUE_URL", queue_url)
        _reset_container_caches()
        yield RecordStreamAws(dynamodb=dynamodb, sqs=sqs, rejected_queue_url=queue_url)
        _reset_container_caches()


class Invoke(Protocol):
    def __call__(self, event: dict[str, Any], *, remaining_ms: int = 60_000) -> dict[str, Any]: ...


@pytest.fixture
def process_records(aws: RecordStreamAws) -> Invoke:
    """RecordProcessorFunction's handler, invoked as Lambda would."""

    def invoke(event: dict[str, Any], *, remaining_ms: int = 60_000) -> dict[str, Any]:
        context = LambdaContext(remaining_time_in_millis=remaining_ms)
        return dict(process_records_module.lambda_handler(event, context))

    return invoke


@pytest.fixture
def listener(aws: RecordStreamAws) -> Invoke:
    """ListenerFunction's handler, invoked as Lambda would."""

    def invoke(event: dict[str, Any], *, remaining_ms: int = 60_000) -> dict[str, Any]:
        context = LambdaContext(
            function_name="ListenerFunction", remaining_time_in_millis=remaining_ms
        )
        return dict(listener_module.lambda_handler(event, context))

    return invoke


@pytest.fixture
def handler_dynamodb_client(aws: RecordStreamAws) -> Any:
    """The client the handlers use (built once per container), for fault injection hooks."""
    return clients.dynamodb_client(processor_settings().write.concurrency)


@pytest.fixture
def handler_sqs_client(aws: RecordStreamAws) -> Any:
    return clients.sqs_client()
