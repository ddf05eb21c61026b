"""Helpers shared by the record-stream unit tests: sample events, the template's table schema,
a Lambda context, and reading back what landed in moto.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from samtranslator.yaml_helper import yaml_parse

ROOT = Path(__file__).resolve().parents[3]
EVENTS_DIR = ROOT / "events" / "record_stream"
PROCESSED_TABLE = "processed-records"
LISTENER_TABLE = "listener"
REJECTED_QUEUE = "rejected-records"
METRICS_NAMESPACE = "RecordStreamUnitTests"


def load_event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS_DIR / name).read_text(encoding="utf-8"))
    return event


@cache
def _template() -> dict[str, Any]:
    template: dict[str, Any] = yaml_parse((ROOT / "template.yaml").read_text(encoding="utf-8"))
    return template


def template_table(logical_id: str) -> dict[str, Any]:
    """CreateTable arguments from template.yaml's AWS::DynamoDB::Table properties."""
    properties = _template()["Resources"][logical_id]["Properties"]
    return {
        "KeySchema": properties["KeySchema"],
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "BillingMode": properties["BillingMode"],
    }


@dataclass(frozen=True)
class LambdaContext:
    """The attributes of Lambda's context object Powertools reads."""

    function_name: str = "RecordProcessorFunction"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = (
        "arn:aws:lambda:us-east-1:123456789012:function:RecordProcessorFunction"
    )
    aws_request_id: str = "5b6c3b1e-0000-4000-8000-000000000000"
    remaining_time_in_millis: int = 60_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_time_in_millis


@dataclass(frozen=True)
class RecordStreamAws:
    dynamodb: Any
    sqs: Any
    rejected_queue_url: str

    def items(self, table: str = PROCESSED_TABLE) -> dict[tuple[str, str], dict[str, Any]]:
        """Every item of the table by (PK, SK), attribute values as DynamoDB returns them."""
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for page in self.dynamodb.get_paginator("scan").paginate(TableName=table):
            for item in page["Items"]:
                found[(item["PK"]["S"], item["SK"]["S"])] = item
        return found

    def rejected_messages(self) -> list[dict[str, Any]]:
        """Drain the rejected-records queue; message bodies as JSON."""
        bodies: list[dict[str, Any]] = []
        while True:
            response = self.sqs.receive_message(
                QueueUrl=self.rejected_queue_url, MaxNumberOfMessages=10, VisibilityTimeout=300
            )
            messages = response.get("Messages", [])
            if not messages:
                return bodies
            bodies.extend(json.loads(message["Body"]) for message in messages)
