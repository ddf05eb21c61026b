"""Turn an invoke result into what it means for the batch: success, partial or full failure.

The rules follow the Lambda developer guide on ``ReportBatchItemFailures``: a function error
(unhandled exception, timeout, crash) fails the whole batch. With the feature on, a null or
empty response, or a null or empty ``batchItemFailures`` list, is a complete success; a
response that is not a JSON object, a ``batchItemFailures`` that is not a list, or any entry
whose ``itemIdentifier`` is missing, null, empty, not a string or not in the batch fails the
whole batch.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from localcloud.specs import InvokeResult


@dataclass(frozen=True)
class Succeeded:
    pass


@dataclass(frozen=True)
class PartiallyFailed:
    failed_ids: frozenset[str]


@dataclass(frozen=True)
class Failed:
    reason: str


BatchOutcome = Succeeded | PartiallyFailed | Failed


def classify(
    result: InvokeResult, report_batch_item_failures: bool, item_ids: Collection[str]
) -> BatchOutcome:
    if result.function_error is not None:
        return Failed(f"function error: {result.function_error}")
    if not report_batch_item_failures:
        return Succeeded()
    return _parse_partial_response(result.payload, set(item_ids))


def _parse_partial_response(payload: object, item_ids: set[str]) -> BatchOutcome:
    if payload is None:
        return Succeeded()
    if not isinstance(payload, dict):
        return Failed("malformed response: not a JSON object")
    failures = payload.get("batchItemFailures")
    if failures is None:
        return Succeeded()
    if not isinstance(failures, list):
        return Failed("malformed response: batchItemFailures is not a list")
    failed: set[str] = set()
    for entry in failures:
        item_id = entry.get("itemIdentifier") if isinstance(entry, dict) else None
        if not isinstance(item_id, str) or item_id not in item_ids:
            return Failed(f"malformed response: bad itemIdentifier in {entry!r}")
        failed.add(item_id)
    return PartiallyFailed(frozenset(failed)) if failed else Succeeded()
