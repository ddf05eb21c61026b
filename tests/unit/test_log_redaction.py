"""The functions' logger redacts payloads above DEBUG: events logged whole, extra keys, nesting.

Runs the real module-level Powertools logger (ObservabilityLayer's) on the sample events of both
systems in ``events/``; every line is parsed back from the JSON the formatter printed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from lambda_observability.log_redaction import PayloadRedactingFormatter, redact
from lambda_observability.powertools import logger
from tests.lambda_context import LambdaContext
from tests.repository import sample_event


class _Lines(logging.Handler):
    def __init__(self, formatter: logging.Formatter) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(formatter)
        self.printed: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.printed.append(self.format(record))

    def documents(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.printed]


@contextmanager
def _capture(level: int) -> Iterator[_Lines]:
    std_logger = logging.getLogger(logger.name)
    captured = _Lines(logger.registered_formatter)
    saved = std_logger.level
    std_logger.addHandler(captured)
    std_logger.setLevel(level)
    try:
        yield captured
    finally:
        std_logger.removeHandler(captured)
        std_logger.setLevel(saved)


@pytest.fixture
def lines() -> Iterator[_Lines]:
    with _capture(logging.INFO) as captured:
        yield captured


def test_the_functions_logger_uses_the_redacting_formatter() -> None:
    assert isinstance(logger.registered_formatter, PayloadRedactingFormatter)


def test_a_kinesis_event_logged_whole_keeps_positions_and_loses_data(
    lines: _Lines,
) -> None:
    event = sample_event("record_stream/kinesis-batch.json")

    @logger.inject_lambda_context(log_event=True)
    def handler(event: dict[str, Any], context: Any) -> None:
        return None

    handler(event, LambdaContext())

    (logged,) = [d for d in lines.documents() if isinstance(d["message"], dict)]
    assert logged["level"] == "INFO"
    for original, shown in zip(event["Records"], logged["message"]["Records"], strict=True):
        data = original["kinesis"]["data"]
        assert shown["kinesis"]["data"] == f"[redacted: {len(data)} chars]"
        assert shown["kinesis"]["sequenceNumber"] == original["kinesis"]["sequenceNumber"]
        assert shown["eventSourceARN"] == original["eventSourceARN"]
        assert data not in "\n".join(lines.printed)


def test_a_dynamodb_stream_event_loses_keys_and_images(lines: _Lines) -> None:
    event = sample_event("record_stream/dynamodb-stream-listener.json")
    logger.info(event)

    (logged,) = lines.documents()
    for original, shown in zip(event["Records"], logged["message"]["Records"], strict=True):
        assert shown["dynamodb"]["Keys"] == "[redacted]"
        assert shown["dynamodb"]["NewImage"] == "[redacted]"
        assert shown["dynamodb"]["SequenceNumber"] == original["dynamodb"]["SequenceNumber"]
        assert shown["eventName"] == original["eventName"]
    assert original["dynamodb"]["Keys"]["PK"]["S"] not in lines.printed[0]


def test_an_sqs_event_keeps_message_ids_and_loses_bodies(lines: _Lines) -> None:
    event = sample_event("inbox_outbox/sqs-batch.json")
    logger.info(event)

    (logged,) = lines.documents()
    for original, shown in zip(event["Records"], logged["message"]["Records"], strict=True):
        assert shown["body"] == f"[redacted: {len(original['body'])} chars]"
        assert shown["messageId"] == original["messageId"]
    assert "order-1001" not in lines.printed[0]


def test_extra_keys_are_redacted_at_every_level_above_debug(lines: _Lines) -> None:
    logger.info("Forwarded", extra={"body": "card 4111", "count": 3})
    logger.warning("Odd", extra={"batch": [{"message": "card 4111", "id": "m-1"}]})
    logger.error("Failed", extra={"data_base64": b"card 4111", "reason": "invalid_json"})

    info, warning, error = lines.documents()
    assert (info["message"], info["body"], info["count"]) == ("Forwarded", "[redacted: 9 chars]", 3)
    assert warning["batch"] == [{"message": "[redacted: 9 chars]", "id": "m-1"}]
    assert (error["data_base64"], error["reason"]) == ("[redacted: 9 bytes]", "invalid_json")
    assert not any("4111" in line for line in lines.printed)


def test_debug_lines_are_printed_as_they_are() -> None:
    with _capture(logging.DEBUG) as debug_lines:
        logger.debug("Record rejected", extra={"data": "eyJiYXRjaCI6IDF9"})
        logger.info("Records rejected", extra={"data": "eyJiYXRjaCI6IDF9"})
        debug, info = debug_lines.documents()
    assert debug["data"] == "eyJiYXRjaCI6IDF9"
    assert info["data"] == "[redacted: 16 chars]"


def test_absent_payloads_stay_absent() -> None:
    line = {"message": "GET /outbox", "body": None, "data": ""}
    assert redact(line, top_level=True) == {
        "message": "GET /outbox",
        "body": None,
        "data": "[redacted: 0 chars]",
    }
