"""CheckOutputQueueFunction: the outbox routes. Reading leases; only an acknowledgement deletes.

Contract (every status a caller can get is listed in src/README.md's outbox table):
- GET /outbox?max=N&lease=S leases up to N (1..10, default 10) messages for S seconds (1..43,200,
  SQS's visibility maximum; default 60). 200 `{"messages": [...], "count": n, "more": bool}`;
  each message has `messageId` (the one POST /inbox answered), `id`, `message`, `type`,
  `received_at` and `receipt`. Nothing is deleted: a response that never reaches the caller
  loses nothing, the messages come back when the lease ends. The response stays under Lambda's
  6 MB limit: what does not fit is released at once and `more` is true. An empty queue is a 200
  with an empty list, not a 204: one response shape keeps every poller's code path the same.
- POST /outbox/acks `{"receipts": [...]}` (1..10, unique) deletes exactly those messages;
  POST /outbox/releases with the same body ends their leases at once. 200 with a result per
  receipt (`acknowledged`/`released` and `failed` with SQS's code): one refused receipt does not
  fail the others.
- Bad parameters or bodies are a 400 with a JSON `message` (Powertools' default for validation
  errors is 422; bad input is never a 5xx); a body that is neither JSON nor a form, or a
  multipart form that does not parse, is a 415.
  SQS errors answer 503: retrying is safe, an ack is idempotent and a lease that was not
  answered ends by itself. Unknown routes: the resolver's 404.
"""

# No `from __future__ import annotations` here: the resolver reads the route's Annotated/Query
# hints at runtime, and with string annotations behind tracer.capture_method's wrapper it cannot
# resolve them and silently ignores `max` (measured with Powertools 3.37.0).
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError

from inbox_outbox.dal.output_queue import delete_messages, receive_messages, release_messages
from inbox_outbox.logic.outbox_items import to_outbox_item
from inbox_outbox.logic.response_budget import outbox_page, select_within_budget, serialise_page
from inbox_outbox.models import AcknowledgeResult, OutboxReceipts, ReleaseResult
from inbox_outbox.settings import MAX_VISIBILITY_TIMEOUT_S, check_output_settings
from lambda_observability.powertools import MetricUnit, logger, metrics, tracer

# SQS ReceiveMessage returns at most 10 messages per call.
MAX_MESSAGES_LIMIT = 10
# Long enough to process a page and acknowledge it; the queue's own visibility timeout.
DEFAULT_LEASE_S = 60
MAX_LEASE_S = MAX_VISIBILITY_TIMEOUT_S

app = APIGatewayRestResolver(enable_validation=True)

_PARAMETER_RULES = {
    "max": f"an integer from 1 to {MAX_MESSAGES_LIMIT}",
    "lease": f"an integer number of seconds from 1 to {MAX_LEASE_S}",
}


@app.get("/outbox")
@tracer.capture_method(capture_response=False)
def get_outbox(
    max_messages: Annotated[int, Query(alias="max", ge=1, le=MAX_MESSAGES_LIMIT)] = (
        MAX_MESSAGES_LIMIT
    ),
    lease_s: Annotated[int, Query(alias="lease", ge=1, le=MAX_LEASE_S)] = DEFAULT_LEASE_S,
) -> Response[str]:
    config = check_output_settings()
    received = receive_messages(
        config.output_queue_url, max_messages, config.receive_wait_s, lease_s
    )
    selection = select_within_budget(
        [to_outbox_item(m.message_id, m.receipt_handle, m.body) for m in received]
    )
    if selection.left_out:
        release_left_out(config.output_queue_url, [item.receipt for item in selection.left_out])
    if selection.oversized:
        # Only a body written to the queue directly can be this large; it stays leased and
        # reaches OutputQueueDLQ after maxReceiveCount reads instead of blocking every page.
        logger.warning(
            "Outbox message too large for any response",
            extra={"message_ids": [item.message_id for item in selection.oversized]},
        )
    page = outbox_page(selection)
    metrics.add_metric(name="MessagesLeased", unit=MetricUnit.Count, value=page.count)
    logger.info(
        "Outbox read",
        extra={
            "requested": max_messages,
            "lease_s": lease_s,
            "received": len(received),
            "returned": page.count,
            "released_for_size": len(selection.left_out),
            "oversized": len(selection.oversized),
        },
    )
    return Response(
        status_code=200, content_type=content_types.APPLICATION_JSON, body=serialise_page(page)
    )


def release_left_out(queue_url: str, receipts: list[str]) -> None:
    """Make what did not fit visible to the next read. A failure here must not cost the caller
    the page it is about to get: those leases then end by themselves."""
    try:
        release_messages(queue_url, receipts)
    except (ClientError, BotoCoreError):
        logger.warning("Could not release messages left out for size", exc_info=True)


@app.post("/outbox/acks")
@tracer.capture_method(capture_response=False)
def acknowledge(request: Annotated[OutboxReceipts, Body()]) -> dict[str, Any]:
    outcome = delete_messages(check_output_settings().output_queue_url, request.receipts)
    metrics.add_metric(
        name="MessagesAcknowledged", unit=MetricUnit.Count, value=len(outcome.succeeded)
    )
    logger.info(
        "Outbox acknowledged",
        extra={"acknowledged": len(outcome.succeeded), "failed": len(outcome.failed)},
    )
    return AcknowledgeResult(acknowledged=outcome.succeeded, failed=outcome.failed).model_dump()


@app.post("/outbox/releases")
@tracer.capture_method(capture_response=False)
def release(request: Annotated[OutboxReceipts, Body()]) -> dict[str, Any]:
    outcome = release_messages(check_output_settings().output_queue_url, request.receipts)
    metrics.add_metric(name="MessagesReleased", unit=MetricUnit.Count, value=len(outcome.succeeded))
    logger.info(
        "Outbox released", extra={"released": len(outcome.succeeded), "failed": len(outcome.failed)}
    )
    return ReleaseResult(released=outcome.succeeded, failed=outcome.failed).model_dump()


def _describe(location: tuple[Any, ...]) -> str:
    if len(location) > 1 and location[0] == "query":
        name = str(location[1])
        return f"query parameter '{name}' must be {_PARAMETER_RULES.get(name, 'valid')}"
    # Body errors: ("body",) for a missing or non-JSON body, ("body", "receipts", 0, ...) inside.
    inside = "/".join(str(part) for part in location[1:])
    return f"body at /{inside} is invalid" if inside else "body must be a JSON object"


def invalid_request(error: RequestValidationError) -> Response[dict[str, Any]]:
    """400 instead of the resolver's 422: the client sent a bad request, nothing to process."""
    problems = [
        {"message": _describe(tuple(detail["loc"])), "loc": detail["loc"], "type": detail["type"]}
        for detail in error.errors()
    ]
    in_body = any(p["loc"] and p["loc"][0] == "body" for p in problems)
    # The body's message is API Gateway's own wording, as its validator answers first.
    prefix = "Invalid request body: " if in_body else "Invalid request: "
    return Response(
        status_code=400,
        content_type=content_types.APPLICATION_JSON,
        body={
            "message": prefix + "; ".join(dict.fromkeys(p["message"] for p in problems)),
            "errors": [{"loc": p["loc"], "type": p["type"]} for p in problems],
        },
    )


def unsupported_media_type(error: RequestUnsupportedContentType) -> Response[dict[str, Any]]:
    """415 with a `message` (the resolver's own 415 has none): receipts come as JSON."""
    return _json_only()


def _json_only() -> Response[dict[str, Any]]:
    return Response(
        status_code=415,
        content_type=content_types.APPLICATION_JSON,
        body={"message": "Unsupported Media Type: send the body as application/json"},
    )


def unparseable_multipart(error: ValueError) -> Response[dict[str, Any]]:
    """415 for a multipart/form-data body Powertools' parser cannot read.

    Powertools re-raises the ValueError its multipart parser meets (no boundary in the header,
    or a text body with characters outside Latin-1, as API Gateway hands a non-UTF-8 payload
    over), past its own validation errors: the function failed and API Gateway answered 502.
    Found by the API fuzz. Any other ValueError is a fault of this code and still fails."""
    content_type = app.current_event.headers.get("content-type", "")
    if not content_type.strip().lower().startswith("multipart/form-data"):
        raise error
    return _json_only()


def queue_unavailable(error: Exception) -> Response[dict[str, Any]]:
    """503: SQS failed. Retrying is safe: an ack is idempotent, an unanswered lease ends."""
    logger.exception("Output queue call failed")
    return Response(
        status_code=503,
        content_type=content_types.APPLICATION_JSON,
        body={"message": "The output queue is unavailable; try again shortly"},
        headers={"Retry-After": "1"},
    )


# Registered by call rather than as decorators: exception_handler is untyped in Powertools.
app.exception_handler(RequestValidationError)(invalid_request)
app.exception_handler(RequestUnsupportedContentType)(unsupported_media_type)
app.exception_handler(ValueError)(unparseable_multipart)
app.exception_handler([ClientError, BotoCoreError])(queue_unavailable)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
