"""The functions' loggers redact payloads above DEBUG: events logged whole, extra keys, nesting.

Runs the real module-level Powertools loggers of both packages on the sample events in
``events/``; every line is parsed back from the JSON the formatter printed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools import Logger

from inbox_outbox import log_redaction as inbox_redaction
from inbox_outbox.observability import logger as inbox_logger
from record_stream import log_redaction as record_stream_redaction
from record_stream.observability import logger as record_stream_logger
from tests.unit.record_stream.support import LambdaContext

ROOT = Path(__file__).resolve().parents[2]
FUNCTION_LOGGERS = [
    (record_stream_logger, record_stream_redaction),
    (inbox_logger, inbox_redaction),
]


def _event(path: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((ROOT / "events" / path).read_text(encoding="utf-8"))
    return event


class _Lines(logging.Handler):
    def __init__(self, formatter: logging.Formatter) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(formatter)
        self.printed: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.printed.append(self.format(record))

    def documents(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.printed]


def _capture(function_logger: Logger, level: int) -> Iterator[_Lines]:
    std_logger = logging.getLogger(function_logger.name)
    lines = _Lines(function_logger.registered_formatter)
    saved = std_logger.level
    std_logger.addHandler(lines)
    std_logger.setLevel(level)
    try:
        yield lines
    finally:
        std_logger.removeHandler(lines)
        std_logger.setLevel(saved)


@pytest.fixture
def record_stream_lines() -> Iterator[_Lines]:
    yield from _capture(record_stream_logger, logging.INFO)


@pytest.fixture
def inbox_lines() -> Iterator[_Lines]:
    yield from _capture(inbox_logger, logging.INFO)


def test_every_copy_of_the_module_is_the_same() -> None:
    # Separate CodeUris cannot import each other; the copies must not drift apart.
    copies = {Path(m.__file__).read_bytes() for m in (record_stream_redaction, inbox_redaction)}  # type: ignore[arg-type]
    assert len(copies) == 1


@pytest.mark.parametrize(("function_logger", "module"), FUNCTION_LOGGERS, ids=["stream", "inbox"])
def test_the_functions_loggers_use_the_redacting_formatter(
    function_logger: Logger, module: Any
) -> None:
    # The formatter given to the Logger (in tests both packages' Loggers wrap one stdlib logger,
    # "service_undefined", so the registered one is whichever package was imported first).
    assert isinstance(function_logger.logger_formatter, module.PayloadRedactingFormatter)
    assert type(function_logger.registered_formatter).__name__ == "PayloadRedactingFormatter"


def test_a_kinesis_event_logged_whole_keeps_positions_and_loses_data(
    record_stream_lines: _Lines,
) -> None:
    event = _event("record_stream/kinesis-batch.json")

    @record_stream_logger.inject_lambda_context(log_event=True)
    def handler(event: dict[str, Any], context: Any) -> None:
        return None

    handler(event, LambdaContext())

    (logged,) = [d for d in record_stream_lines.documents() if isinstance(d["message"], dict)]
    assert logged["level"] == "INFO"
    for original, shown in zip(event["Records"], logged["message"]["Records"], strict=True):
        data = original["kinesis"]["data"]
        assert shown["kinesis"]["data"] == f"[redacted: {len(data)} chars]"
        assert shown["kinesis"]["sequenceNumber"] == original["kinesis"]["sequenceNumber"]
        assert shown["eventSourceARN"] == original["eventSourceARN"]
        assert data not in "\n".join(record_stream_lines.printed)


def test_a_dynamodb_stream_event_loses_keys_and_images(record_stream_lines: _Lines) -> None:
    event = _event("record_stream/dynamodb-stream-listener.json")
    record_stream_logger.info(event)

    (logged,) = record_stream_lines.documents()
    for original, shown in zip(event["Records"], logged["message"]["Records"], strict=True):
        assert shown["dynamodb"]["Keys"] == "[redacted]"
        assert shown["dynamodb"]["NewImage"] == "[redacted]"
        assert shown["dynamodb"]["SequenceNumber"] == original["dynamodb"]["SequenceNumber"]
        assert shown["eventName"] == original["eventName"]
    assert original["dynamodb"]["Keys"]["PK"]["S"] not in record_stream_lines.printed[0]


def test_an_sqs_event_keeps_message_ids_and_loses_bodies(inbox_lines: _Lines) -> None:
    event = _event("inbox_outbox/sqs-batch.json")
    inbox_logger.info(event)

    (logged,) = inbox_lines.documents()
    for original, shown in zip(event["Records"], logged["message"]["Records"], strict=True):
        assert shown["body"] == f"[redacted: {len(original['body'])} chars]"
        assert shown["messageId"] == original["messageId"]
    assert "order-1001" not in inbox_lines.printed[0]


def test_extra_keys_are_redacted_at_every_level_above_debug(inbox_lines: _Lines) -> None:
    inbox_logger.info("Forwarded", extra={"body": "card 4111", "count": 3})
    inbox_logger.warning("Odd", extra={"batch": [{"message": "card 4111", "id": "m-1"}]})
    inbox_logger.error("Failed", extra={"data_base64": b"card 4111", "reason": "invalid_json"})

    info, warning, error = inbox_lines.documents()
    assert (info["message"], info["body"], info["count"]) == ("Forwarded", "[redacted: 9 chars]", 3)
    assert warning["batch"] == [{"message": "[redacted: 9 chars]", "id": "m-1"}]
    assert (error["data_base64"], error["reason"]) == ("[redacted: 9 chars]", "invalid_json")
    assert not any("4111" in line for line in inbox_lines.printed)


def test_debug_lines_are_printed_as_they_are() -> None:
    for lines in _capture(record_stream_logger, logging.DEBUG):
        record_stream_logger.debug("Record rejected", extra={"data": "eyJiYXRjaCI6IDF9"})
        record_stream_logger.info("Records rejected", extra={"data": "eyJiYXRjaCI6IDF9"})
        debug, info = lines.documents()
    assert debug["data"] == "eyJiYXRjaCI6IDF9"
    assert info["data"] == "[redacted: 16 chars]"


def test_absent_payloads_stay_absent() -> None:
    line = {"message": "GET /outbox", "body": None, "data": ""}
    assert record_stream_redaction.redact(line, top_level=True) == {
        "message": "GET /outbox",
        "body": None,
        "data": "[redacted: 0 chars]",
    }
