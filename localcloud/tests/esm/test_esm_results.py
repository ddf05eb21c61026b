"""ReportBatchItemFailures parsing: which responses mean success, partial or full failure."""

from __future__ import annotations

from typing import Any

import pytest

from localcloud.esm.results import Failed, PartiallyFailed, Succeeded, classify
from localcloud.specs import InvokeResult

IDS = ["1", "2", "3"]


@pytest.mark.parametrize(
    "payload",
    [None, {}, {"batchItemFailures": None}, {"batchItemFailures": []}, {"other": 1}],
)
def test_empty_or_null_responses_are_complete_success(payload: Any) -> None:
    assert classify(InvokeResult(payload=payload), True, IDS) == Succeeded()


def test_listed_items_are_a_partial_failure() -> None:
    payload = {"batchItemFailures": [{"itemIdentifier": "2"}, {"itemIdentifier": "3"}]}
    assert classify(InvokeResult(payload=payload), True, IDS) == PartiallyFailed(
        frozenset({"2", "3"})
    )


@pytest.mark.parametrize(
    "payload",
    [
        "not an object",
        ["2"],
        {"batchItemFailures": "2"},
        {"batchItemFailures": [{"itemIdentifier": ""}]},
        {"batchItemFailures": [{"itemIdentifier": None}]},
        {"batchItemFailures": [{"itemId": "2"}]},
        {"batchItemFailures": [{"itemIdentifier": "99"}]},
        {"batchItemFailures": [{"itemIdentifier": 2}]},
        {"batchItemFailures": ["2"]},
    ],
)
def test_malformed_responses_fail_the_whole_batch(payload: Any) -> None:
    assert isinstance(classify(InvokeResult(payload=payload), True, IDS), Failed)


@pytest.mark.parametrize("error", ["Unhandled", "Timeout", "Crash"])
def test_function_errors_fail_the_whole_batch(error: Any) -> None:
    result = InvokeResult(payload={"batchItemFailures": []}, function_error=error)
    assert isinstance(classify(result, True, IDS), Failed)
    assert isinstance(classify(result, False, IDS), Failed)


def test_without_the_feature_the_response_is_ignored() -> None:
    payload = {"batchItemFailures": [{"itemIdentifier": "2"}]}
    assert classify(InvokeResult(payload=payload), False, IDS) == Succeeded()
