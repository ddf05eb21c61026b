"""Fault injection for real boto3 clients through botocore's event system (no mocks).

Calls still go to moto; the hooks only make the service answer the way real AWS also can:
- `hold_back_items`: BatchWriteItem leaves some puts unwritten and returns them in
  UnprocessedItems (DynamoDB's answer under throttling), decided per item and attempt;
- `fail_calls`: an operation answers with an error (a ClientError, as after botocore's retries);
- `fail_entries`: SendMessageBatch reports some entries in `Failed` and does not send them.
Hooks: `before-parameter-build` edits the request, `before-call` may answer without calling
moto, `after-call` edits the parsed response. Per-call state lives in botocore's per-call
`context` dict, so concurrent calls from the writer's threads never mix.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse, HTTPHeaders

_HELD = "test_fault_held"
_ALL_HELD = "test_fault_all_held"


@dataclass
class CallLog:
    """What a hook saw: calls made and the most that were in flight at once."""

    calls: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def enter(self) -> None:
        with self.lock:
            self.calls += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def leave(self) -> None:
        with self.lock:
            self.in_flight -= 1


def _http(status: int) -> AWSResponse:
    return AWSResponse("https://fault-injection.invalid/", status, HTTPHeaders(), None)


@contextmanager
def _registered(client: Any, handlers: list[tuple[str, Callable[..., Any]]]) -> Iterator[None]:
    for name, handler in handlers:
        client.meta.events.register(name, handler)
    try:
        yield
    finally:
        for name, handler in handlers:
            client.meta.events.unregister(name, handler)


@contextmanager
def observe_calls(client: Any, event_suffix: str, latency_s: float = 0.0) -> Iterator[CallLog]:
    """Count calls of e.g. "dynamodb.BatchWriteItem"; latency_s adds a delay per call."""
    log = CallLog()

    def before_call(**_: Any) -> None:
        log.enter()
        if latency_s:
            threading.Event().wait(latency_s)

    def after_call(**_: Any) -> None:
        log.leave()

    with _registered(
        client,
        [(f"before-call.{event_suffix}", before_call), (f"after-call.{event_suffix}", after_call)],
    ):
        yield log


@contextmanager
def hold_back_items(
    client: Any, table_name: str, should_hold: Callable[[dict[str, Any], int], bool]
) -> Iterator[CallLog]:
    """should_hold(item in attribute-value form, attempt number for that key) -> unprocessed?"""
    attempts: dict[tuple[str, str], int] = {}
    lock = threading.Lock()
    log = CallLog()

    def before_parameter_build(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        log.enter()
        held: list[dict[str, Any]] = []
        kept: list[dict[str, Any]] = []
        for request in params["RequestItems"].get(table_name, []):
            item = request["PutRequest"]["Item"]
            with lock:
                key = (item["PK"]["S"], item["SK"]["S"])
                attempts[key] = attempts.get(key, 0) + 1
                attempt = attempts[key]
            (held if should_hold(item, attempt) else kept).append(request)
        context[_HELD] = held
        context[_ALL_HELD] = bool(held) and not kept
        if held and kept:
            params["RequestItems"][table_name] = kept

    def before_call(context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        # Every put held back: answer without DynamoDB (an empty request would be invalid).
        if context.get(_ALL_HELD):
            return _http(200), {"UnprocessedItems": {}}
        return None

    def after_call(parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        held = context.pop(_HELD, [])
        if held:
            parsed.setdefault("UnprocessedItems", {}).setdefault(table_name, []).extend(held)
        log.leave()

    with _registered(
        client,
        [
            ("before-parameter-build.dynamodb.BatchWriteItem", before_parameter_build),
            ("before-call.dynamodb.BatchWriteItem", before_call),
            ("after-call.dynamodb.BatchWriteItem", after_call),
        ],
    ):
        yield log


@contextmanager
def fail_calls(
    client: Any,
    event_suffix: str,
    code: str,
    should_fail: Callable[[dict[str, Any]], bool] = lambda params: True,
) -> Iterator[CallLog]:
    """Answer e.g. "dynamodb.BatchWriteItem" with error `code` when should_fail(api params)."""
    log = CallLog()
    failing = "test_fault_failing"

    def before_parameter_build(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context[failing] = should_fail(params)

    def before_call(context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        log.enter()
        log.leave()
        if context.get(failing):
            error = {
                "Error": {"Code": code, "Message": "injected fault"},
                "ResponseMetadata": {"HTTPStatusCode": 400},
            }
            return _http(400), error
        return None

    with _registered(
        client,
        [
            (f"before-parameter-build.{event_suffix}", before_parameter_build),
            (f"before-call.{event_suffix}", before_call),
        ],
    ):
        yield log


@contextmanager
def fail_entries(client: Any, should_fail: Callable[[dict[str, Any]], bool]) -> Iterator[CallLog]:
    """SendMessageBatch: entries for which should_fail(entry) are not sent and come back Failed."""
    log = CallLog()

    def before_parameter_build(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        log.enter()
        failed = [entry for entry in params["Entries"] if should_fail(entry)]
        kept = [entry for entry in params["Entries"] if not should_fail(entry)]
        context[_HELD] = failed
        context[_ALL_HELD] = bool(failed) and not kept
        if failed and kept:
            params["Entries"] = kept

    def before_call(context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if context.get(_ALL_HELD):
            return _http(200), {"Successful": []}
        return None

    def after_call(parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        failures = parsed.setdefault("Failed", [])
        for entry in context.pop(_HELD, []):
            failures.append(
                {
                    "Id": entry["Id"],
                    "SenderFault": False,
                    "Code": "InternalError",
                    "Message": "injected",
                }
            )
        log.leave()

    with _registered(
        client,
        [
            ("before-parameter-build.sqs.SendMessageBatch", before_parameter_build),
            ("before-call.sqs.SendMessageBatch", before_call),
            ("after-call.sqs.SendMessageBatch", after_call),
        ],
    ):
        yield log
