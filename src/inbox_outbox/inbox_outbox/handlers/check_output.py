"""CheckOutputQueueFunction: GET /outbox returns and deletes up to `max` output-queue messages.

Contract:
- `max` query parameter, integer 1..10, default 10. Anything else is a 400 with a JSON message
  (Powertools' default for request validation errors is 422; bad input is never a 5xx).
- 200 `{"messages": [...], "count": n}`. An empty queue is also a 200 with an empty list, not a
  204: clients poll this endpoint, and one response shape (always a JSON body with `count`) keeps
  every poller's code path the same; a 204 has no body to parse and some HTTP clients treat it
  specially.
- Messages are deleted (DeleteMessageBatch) as the last step before responding, and only the
  ones actually deleted are returned. Whatever fails before that leaves every received message in
  the queue, visible again after the queue's visibility timeout. SQS errors answer 503.
- Unknown routes: the resolver's 404.
"""

# No `from __future__ import annotations` here: the resolver reads the route's Annotated/Query
# hints at runtime, and with string annotations behind tracer.capture_method's wrapper it cannot
# resolve them and silently ignores `max` (measured with Powertools 3.37.0).
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError

from inbox_outbox.dal.output_queue import delete_messages, receive_messages
from inbox_outbox.logic.outbox_items import to_outbox_item, to_outbox_page
from inbox_outbox.settings import check_output_settings
from lambda_observability.powertools import MetricUnit, logger, metrics, tracer

# SQS ReceiveMessage returns at most 10 messages per call.
MAX_MESSAGES_LIMIT = 10

app = APIGatewayRestResolver(enable_validation=True)

_PARAMETER_RULES = {"max": f"an integer from 1 to {MAX_MESSAGES_LIMIT}"}


@app.get("/outbox")
@tracer.capture_method(capture_response=False)
def get_outbox(
    max_messages: Annotated[int, Query(alias="max", ge=1, le=MAX_MESSAGES_LIMIT)] = (
        MAX_MESSAGES_LIMIT
    ),
) -> dict[str, Any]:
    config = check_output_settings()
    received = receive_messages(config.output_queue_url, max_messages, config.receive_wait_s)
    items = [to_outbox_item(message.message_id, message.body) for message in received]
    # Last step: delete what we are about to return, then return only what was deleted.
    deleted = delete_messages(config.output_queue_url, received)
    page = to_outbox_page(item for item in items if item.message_id in deleted)
    metrics.add_metric(name="MessagesDelivered", unit=MetricUnit.Count, value=page.count)
    logger.info(
        "Outbox read",
        extra={"requested": max_messages, "received": len(received), "returned": page.count},
    )
    return page.model_dump(mode="json")


def invalid_request(error: RequestValidationError) -> Response[dict[str, Any]]:
    """400 instead of the resolver's 422: the client sent a bad request, nothing to process."""
    problems = []
    for detail in error.errors():
        location = detail["loc"]
        name = str(location[-1]) if location else "request"
        rule = _PARAMETER_RULES.get(name, "valid")
        where = f"{location[0]} parameter" if len(location) > 1 else "value"
        problems.append(
            {"message": f"{where} '{name}' must be {rule}", "loc": location, "type": detail["type"]}
        )
    return Response(
        status_code=400,
        content_type=content_types.APPLICATION_JSON,
        body={
            "message": "Invalid request: " + "; ".join(p["message"] for p in problems),
            "errors": [{"loc": p["loc"], "type": p["type"]} for p in problems],
        },
    )


def queue_unavailable(error: Exception) -> Response[dict[str, Any]]:
    """503: SQS failed; nothing was deleted, so retrying later loses nothing."""
    logger.exception("Output queue call failed")
    return Response(
        status_code=503,
        content_type=content_types.APPLICATION_JSON,
        body={"message": "The output queue is unavailable; try again shortly"},
        headers={"Retry-After": "1"},
    )


# Registered by call rather than as decorators: exception_handler is untyped in Powertools.
app.exception_handler(RequestValidationError)(invalid_request)
app.exception_handler([ClientError, BotoCoreError])(queue_unavailable)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
