"""The greeter's two handlers; the wording comes from the greeting-words dependency."""

from __future__ import annotations

import json
import os
from typing import Any

import boto3
from greeting_words import greeting


def greet_messages(event: dict[str, Any], _context: object) -> None:
    sqs = boto3.client("sqs")
    for record in event["Records"]:
        sqs.send_message(QueueUrl=os.environ["GREETINGS_URL"], MessageBody=greeting(record["body"]))


def greet_request(event: dict[str, Any], _context: object) -> dict[str, Any]:
    name = event["pathParameters"]["name"]
    caller = event["requestContext"]["identity"].get("accessKey")
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"greeting": greeting(name), "caller": caller}),
    }
