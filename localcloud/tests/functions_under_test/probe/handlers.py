"""Handlers that do what the event asks: echo, raise, sleep, crash, allocate, print, emit metrics,
call AWS, answer N bytes (directly, or as an API Gateway proxy response)."""

from __future__ import annotations

import os
import sys
import time
from typing import Any

# Module state survives between invokes of a warm worker, as in Lambda.
INVOKES = {"count": 0}


def lambda_handler(event: dict[str, Any], context: Any) -> Any:
    INVOKES["count"] += 1
    action = event.get("action", "echo")
    if action == "echo":
        return {"event": event, "pid": os.getpid(), "invokes": INVOKES["count"]}
    if action == "context":
        return {
            "function_name": context.function_name,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "invoked_function_arn": context.invoked_function_arn,
            "aws_request_id": context.aws_request_id,
            "remaining_ms": context.get_remaining_time_in_millis(),
            "cwd": os.getcwd(),
        }
    if action == "env":
        return {name: os.environ.get(name) for name in event["names"]}
    if action == "raise":
        raise ValueError(event.get("message", "boom"))
    if action == "sleep":
        time.sleep(event["seconds"])
        return {"slept": event["seconds"], "pid": os.getpid()}
    if action == "exit":
        sys.stdout.flush()
        os._exit(event.get("code", 3))
    if action == "allocate":
        block = bytearray(event["mb"] * 1024 * 1024)
        for i in range(0, len(block), 4096):
            block[i] = 1
        return {"allocated": len(block)}
    if action == "print":
        print(event["text"])
        print(event["text"] + " (stderr)", file=sys.stderr)
        return {"printed": True, "request_id": context.aws_request_id}
    if action == "metrics":  # Powertools Metrics, as the stack's handlers emit them
        return _emit_metrics(event, context)
    if action == "not-json":
        return {"value": object()}
    if action == "respond":  # a JSON string of exactly event["bytes"] bytes
        return "x" * (event["bytes"] - 2)
    if action == "list-queues":
        import boto3  # noqa: PLC0415 - only here: keeps the other cold starts short

        return boto3.client("sqs").list_queues().get("QueueUrls", [])
    raise NotImplementedError(action)


def _emit_metrics(event: dict[str, Any], context: Any) -> Any:
    from aws_lambda_powertools import Metrics  # noqa: PLC0415 - only here, as list-queues
    from aws_lambda_powertools.metrics import MetricUnit  # noqa: PLC0415

    metrics = Metrics(namespace=event["namespace"], service="probe")

    @metrics.log_metrics
    def emit(_: Any, __: Any) -> None:
        for name, value in event["metrics"].items():
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)

    emit(event, context)
    return {"emitted": True, "request_id": context.aws_request_id}


def proxy_handler(event: dict[str, Any], context: Any) -> Any:
    """A Lambda proxy response whose body is ``?bytes=N`` bytes of ``?char=C`` (default ``x``)."""
    query = event.get("queryStringParameters") or {}
    char = query.get("char", "x")
    return {"statusCode": 200, "body": char * (int(query.get("bytes", "0")) // len(char.encode()))}
