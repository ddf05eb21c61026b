"""Fault injection for real boto3 clients through botocore's event system (no mocks).

Calls still go to moto; the hooks only make the service answer the way real AWS also can:
- `hold_back_items`: BatchWriteItem leaves some puts unwritten and returns them in
  UnprocessedItems (DynamoDB's answer under throttling), decided per item and attempt;
- `fail_calls`: an operation answers HTTP 400 with an error code (botocore parses it into a
  ClientError and retries it if the code is a throttling one, as it would from AWS);
- `fail_entries`: SendMessageBatch reports some entries in `Failed` and does not send them.
`hold_back_items`, `fail_calls` and `observe_calls` act at `before-send`, on each HTTP attempt:
the one event both a boto3 client and the processor's BatchWriteItem call
(record_stream.dal.batch_write_call) emit. They are registered first, ahead of moto's own
before-send handler, and answer in the service's JSON wire format, or return nothing and let
moto answer. `fail_entries` uses the call events (`before-parameter-build` edits the request,
`before-call` may answer without moto, `after-call` edits the parsed response), with per-call
state in botocore's `context` dict, so concurrent calls from the writer's threads never mix.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.awsrequest import AWSPreparedRequest, AWSResponse, HTTPHeaders

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


class _Body(io.BytesIO):
    """What AWSResponse reads a body from."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.getvalue()


def _json_answer(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> AWSResponse:
    return AWSResponse(
        NOWHERE,
        status,
        HTTPHeaders({"Content-Type": "application/x-amz-json-1.0", **(headers or {})}),
        _Body(json.dumps(body).encode()),
    )


NOWHERE = "https://fault-injection.invalid/"


def _answer_instead(request: AWSPreparedRequest, response: AWSResponse) -> AWSResponse:
    """botocore runs every before-send handler and takes the first answer, so moto would still
    execute the request: point it where no mock answers, and this answer is the only one."""
    request.url = NOWHERE
    return response


def _params(request: AWSPreparedRequest) -> dict[str, Any]:
    """The API parameters of a JSON-protocol request (DynamoDB, SQS): its body."""
    body = request.body
    params: dict[str, Any] = json.loads(body if isinstance(body, bytes | str) else b"{}")
    return params


@contextmanager
def _registered(
    client: Any, handlers: list[tuple[str, Callable[..., Any]]], first: bool = False
) -> Iterator[None]:
    for name, handler in handlers:
        if first:
            client.meta.events.register_first(name, handler)
        else:
            client.meta.events.register(name, handler)
    try:
        yield
    finally:
        for name, handler in handlers:
            client.meta.events.unregister(name, handler)


@contextmanager
def observe_calls(client: Any, event_suffix: str, latency_s: float = 0.0) -> Iterator[CallLog]:
    """Count HTTP attempts of e.g. "dynamodb.BatchWriteItem"; latency_s adds a delay to each."""
    log = CallLog()

    def before_send(**_: Any) -> None:
        log.enter()
        if latency_s:
            threading.Event().wait(latency_s)
        log.leave()

    with _registered(client, [(f"before-send.{event_suffix}", before_send)], first=True):
        yield log


@contextmanager
def hold_back_items(
    client: Any, table_name: str, should_hold: Callable[[dict[str, Any], int], bool]
) -> Iterator[CallLog]:
    """should_hold(item in attribute-value form, attempt number for that key) -> unprocessed?

    The puts kept are written to moto through a separate client; the answer lists the others in
    UnprocessedItems, as DynamoDB does."""
    attempts: dict[tuple[str, str], int] = {}
    lock = threading.Lock()
    log = CallLog()
    backing = boto3.client("dynamodb", region_name=client.meta.region_name)

    def before_send(request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
        log.enter()
        try:
            held: list[dict[str, Any]] = []
            kept: list[dict[str, Any]] = []
            for put in _params(request)["RequestItems"].get(table_name, []):
                item = put["PutRequest"]["Item"]
                with lock:
                    key = (item["PK"]["S"], item["SK"]["S"])
                    attempts[key] = attempts.get(key, 0) + 1
                    attempt = attempts[key]
                (held if should_hold(item, attempt) else kept).append(put)
            if not held:
                return None  # moto answers
            if kept:
                backing.batch_write_item(RequestItems={table_name: kept})
            return _answer_instead(
                request, _json_answer(200, {"UnprocessedItems": {table_name: held}})
            )
        finally:
            log.leave()

    with _registered(client, [("before-send.dynamodb.BatchWriteItem", before_send)], first=True):
        yield log


@contextmanager
def fail_calls(
    client: Any,
    event_suffix: str,
    code: str,
    should_fail: Callable[[dict[str, Any]], bool] = lambda params: True,
    status: int = 400,
) -> Iterator[CallLog]:
    """Answer e.g. "dynamodb.BatchWriteItem" with HTTP `status` and error `code` when
    should_fail(api params)."""
    log = CallLog()

    def before_send(request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
        log.enter()
        log.leave()
        if not should_fail(_params(request)):
            return None
        return _answer_instead(
            request,
            _json_answer(
                status,
                {"__type": f"com.amazonaws.fault#{code}", "message": "injected fault"},
                # Query-compatible services (SQS) read the code from this header.
                {"x-amzn-query-error": f"{code};Sender"},
            ),
        )

    with _registered(client, [(f"before-send.{event_suffix}", before_send)], first=True):
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
