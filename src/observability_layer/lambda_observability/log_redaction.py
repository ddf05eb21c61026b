"""Payloads never reach a log line above DEBUG, wherever a caller puts them in the line.

The Powertools formatter below replaces the value of every payload key (Kinesis ``data``, SQS and
API Gateway ``body``, DynamoDB images and keys, our rejections' ``data_base64``, an inbox
``message``) anywhere in a line: extra keys, nested dicts and lists, and an event logged whole
(``log_event``, which Powertools logs at INFO). The value becomes a marker with its size, so the
line still says that something was there. DEBUG lines are printed as they are: they are the
developer's own, and off unless the stack deploys with ``LogLevel=DEBUG``.

Text that embeds a payload (an f-string, an exception's message) is beyond a formatter's reach:
the handlers log counts, reasons and positions only, and the log fuzz tests watch for that.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.logging.types import LogRecord

PAYLOAD_KEYS = frozenset({"body", "data", "data_base64", "NewImage", "OldImage", "Keys", "message"})
# A line's own "message" is its text (or the event, for log_event): kept, but looked inside.
TOP_LEVEL_KEPT = frozenset({"message"})


def redacted(value: Any) -> str:
    """The marker that stands for a payload: its size, never its content."""
    if isinstance(value, str):
        return f"[redacted: {len(value)} chars]"
    if isinstance(value, bytes):
        return f"[redacted: {len(value)} bytes]"
    return "[redacted]"


def _is_payload(key: str, value: Any, top_level: bool) -> bool:
    if value is None or key not in PAYLOAD_KEYS:
        return False  # an absent body stays visibly absent
    return not (top_level and key in TOP_LEVEL_KEPT)


def redact(value: Any, *, top_level: bool = False) -> Any:
    """A copy of ``value`` (a log line or part of one) with every payload value replaced."""
    if isinstance(value, dict):
        return {
            key: redacted(item) if _is_payload(key, item, top_level) else redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    return value


class PayloadRedactingFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON formatter, with payloads redacted on every line above DEBUG."""

    def serialize(self, log: LogRecord) -> str:
        if log.get("level") != "DEBUG":
            log = redact(log, top_level=True)
        return super().serialize(log)
