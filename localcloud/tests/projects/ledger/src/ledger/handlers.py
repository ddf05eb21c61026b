"""The ledger's handlers: one counts each Kinesis record's deliveries, one answers a route."""

from __future__ import annotations

import base64
import os
from typing import Any

import boto3


def count_deliveries(event: dict[str, Any], _context: object) -> None:
    """A record delivered twice shows as deliveries = 2: what a restart must not cause."""
    table = boto3.resource("dynamodb").Table(os.environ["DELIVERIES_TABLE"])
    for record in event["Records"]:
        table.update_item(
            Key={"record": base64.b64decode(record["kinesis"]["data"]).decode()},
            UpdateExpression="ADD deliveries :one",
            ExpressionAttributeValues={":one": 1},
        )


def ping(_event: dict[str, Any], _context: object) -> dict[str, Any]:
    return {"statusCode": 200, "body": "pong"}
