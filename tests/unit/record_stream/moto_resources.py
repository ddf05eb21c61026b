"""Helpers shared by the record-stream unit tests: sample events, the template's table schema,
a Lambda context, and reading back what landed in moto.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tests.repository import sample_event, template

PROCESSED_TABLE = "processed-records"
LISTENER_TABLE = "listener"
REJECTED_QUEUE = "rejected-records"
METRICS_NAMESPACE = "RecordStreamUnitTests"


def load_event(name: str) -> dict[str, Any]:
    return sample_event(f"record_stream/{name}")


def template_table(logical_id: str) -> dict[str, Any]:
    """CreateTable arguments from template.yaml's AWS::DynamoDB::Table properties."""
    properties = template()["Resources"][logical_id]["Properties"]
    return {
        "KeySchema": properties["KeySchema"],
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "BillingMode": properties["BillingMode"],
    }


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
