"""FilterCriteria: EventBridge-pattern matching of records, as Lambda applies it before invoking.

Patterns are matched with moto's EventBridge ``EventPattern`` (the same syntax: exact values,
prefix, suffix, numeric, anything-but, exists, ``$or``). A record matches when any pattern
matches (the filters of a mapping are OR-ed); no patterns means everything matches, and then no
record is even parsed for filtering.

No record can stop a poller here: data that is not a JSON object (not JSON, a JSON array, or
nested deeper than Python's parser goes) is matched as a plain string, as Lambda matches
non-JSON data, so a pattern on its fields does not match it; and a record whose evaluation fails
in any other way is dropped as not matching (Lambda drops records it cannot filter), with the
reason logged.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any, cast

from localcloud.moto_internals.event_pattern import EventPattern

logger = logging.getLogger(__name__)


def parse_json_object(text: str) -> Any:
    """The JSON object in ``text``, or ``text`` itself when it is not one.

    Lambda matches ``body`` (SQS) and ``data`` (Kinesis) as JSON when they hold JSON and as a
    plain string otherwise; a plain string never matches a nested pattern such as
    ``{"body": {"kind": [...]}}``, which is what AWS does too.
    """
    try:
        value = json.loads(text)
    except (ValueError, TypeError, RecursionError):
        # RecursionError: valid JSON nested too deep for Python (e.g. 12,000 brackets).
        return text
    return value if isinstance(value, dict) else text


def decode_kinesis_data(data_b64: str) -> Any:
    try:
        text = base64.b64decode(data_b64, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return data_b64
    return parse_json_object(text)


class RecordFilter:
    def __init__(self, patterns: Iterable[str]) -> None:
        # EventPattern.load validates the pattern: a bad one fails at start, not per record.
        self._patterns = [EventPattern.load(p) for p in patterns]

    @property
    def active(self) -> bool:
        return bool(self._patterns)

    def matches(self, view: dict[str, Any]) -> bool:
        if not self._patterns:
            return True
        # moto types the event as its EventBridge envelope; any JSON object matches the same way.
        event = cast(Any, view)
        return any(p.matches_event(event) for p in self._patterns)

    def admits(self, view_of: Callable[[], dict[str, Any]], record: str) -> bool:
        """Whether a record goes to the function. ``view_of`` builds what the patterns see; it
        runs only when there are patterns. ``record`` names the record in the log."""
        if not self._patterns:
            return True
        try:
            return self.matches(view_of())
        except Exception as error:
            logger.warning(
                "%s: filter evaluation failed (%s: %s); dropped as not matching",
                record,
                type(error).__name__,
                str(error)[:200],
            )
            return False
