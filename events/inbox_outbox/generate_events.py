"""Writes the inbox/outbox sample events of this folder (run from anywhere; commit the JSON).

    .venv/bin/python events/inbox_outbox/generate_events.py

Shapes follow what Lambda delivers: the SQS event source mapping's batch (what
`sam local generate-event sqs receive-message` gives, with real MD5s) and the REST API proxy
events of the outbox routes (GET /outbox, POST /outbox/acks, POST /outbox/releases) called with
SigV4 (AWS_IAM) credentials. IDs are fixed so the files do not change from one run to the next.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REGION = "us-east-1"
ACCOUNT = "123456789012"
INPUT_QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:sam-app-InputQueue-AbCdEf123456"
SENT_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
_NAMESPACE = uuid.UUID("6b0c6a53-0d35-4c59-9a57-3f6f0e2f6f10")


def sqs_record(key: str, body: str, receive_count: int = 1) -> dict[str, Any]:
    return {
        "messageId": str(uuid.uuid5(_NAMESPACE, key)),
        "receiptHandle": receipt(key),
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": str(receive_count),
            "SentTimestamp": str(SENT_MS),
            "SenderId": "AROAEXAMPLEAPIGATEWAY:BackplaneAssumeRoleSession",
            "ApproximateFirstReceiveTimestamp": str(SENT_MS + 25),
        },
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(body.encode(), usedforsecurity=False).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": INPUT_QUEUE_ARN,
        "awsRegion": REGION,
    }


def good_bodies() -> list[tuple[str, str]]:
    return [
        ("good-1", json.dumps({"id": "order-1001", "message": "hello", "type": "greeting"})),
        ("good-2", json.dumps({"id": "order-1002", "message": "no type given"})),
        ("good-3", json.dumps({"id": "tenant:42.item_7", "message": "unicode ok: héllo ✓"})),
    ]


def sqs_batch() -> dict[str, Any]:
    return {"Records": [sqs_record(key, body) for key, body in good_bodies()]}


def sqs_batch_with_malformed() -> dict[str, Any]:
    bad = [
        ("not-json", '{"id": "order-2001", "message": '),
        ("schema-invalid", json.dumps({"id": "has spaces", "message": "", "extra": True})),
        ("poison-type", json.dumps({"id": "order-2003", "message": "x", "type": "malformed"})),
    ]
    good = good_bodies()
    # Good and bad interleaved, as they would arrive.
    ordered = [good[0], bad[0], good[1], bad[1], bad[2], good[2]]
    return {"Records": [sqs_record(key, body) for key, body in ordered]}


def apigw_outbox(
    method: str, path: str, query: dict[str, str] | None, body: str | None = None
) -> dict[str, Any]:
    """The REST API proxy event of one signed outbox request."""
    headers = {
        "Accept": "application/json",
        "Authorization": (
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/execute-api/"
            "aws4_request, SignedHeaders=host;x-amz-date, Signature=0123456789abcdef"
        ),
        "Host": "abc123defg.execute-api.us-east-1.amazonaws.com",
        "User-Agent": "python-requests/2.32.5",
        "X-Amz-Date": "20260101T000000Z",
        "X-Amzn-Trace-Id": "Root=1-67748580-0123456789abcdef01234567",
        "X-Forwarded-For": "203.0.113.10",
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
    }
    if body is not None:
        headers["Content-Type"] = "application/json"
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": (
            {name: [value] for name, value in query.items()} if query else None
        ),
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": "x1y2z3",
            "resourcePath": path,
            "httpMethod": method,
            "extendedRequestId": "AbCdEfGhIjKlMnO=",
            "requestTime": "01/Jan/2026:00:00:00 +0000",
            "path": f"/v1{path}",
            "accountId": ACCOUNT,
            "protocol": "HTTP/1.1",
            "stage": "v1",
            "domainPrefix": "abc123defg",
            "requestTimeEpoch": SENT_MS,
            "requestId": "8f4c1c5e-2a7b-4c3d-9e1f-0a1b2c3d4e5f",
            "identity": {
                "cognitoIdentityPoolId": None,
                "accountId": ACCOUNT,
                "cognitoIdentityId": None,
                "caller": "AIDAEXAMPLEUSERID",
                "sourceIp": "203.0.113.10",
                "principalOrgId": None,
                "accessKey": "AKIAIOSFODNN7EXAMPLE",
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
                "userArn": f"arn:aws:iam::{ACCOUNT}:user/integration-tests",
                "userAgent": "python-requests/2.32.5",
                "user": "AIDAEXAMPLEUSERID",
            },
            "domainName": "abc123defg.execute-api.us-east-1.amazonaws.com",
            "apiId": "abc123defg",
        },
        "body": body,
        "isBase64Encoded": False,
    }


def receipt(key: str) -> str:
    """Shaped like an SQS ReceiptHandle (opaque); unit tests replace it with a live one."""
    return f"AQEB{hashlib.sha256(key.encode()).hexdigest()}"


def receipts_body(*keys: str) -> str:
    return json.dumps({"receipts": [receipt(key) for key in keys]})


EVENTS: dict[str, dict[str, Any]] = {
    "sqs-batch.json": sqs_batch(),
    "sqs-batch-with-malformed.json": sqs_batch_with_malformed(),
    "apigw-get-outbox.json": apigw_outbox("GET", "/outbox", {"max": "5", "lease": "30"}),
    "apigw-get-outbox-bad-max.json": apigw_outbox("GET", "/outbox", {"max": "11"}),
    "apigw-get-outbox-bad-lease.json": apigw_outbox("GET", "/outbox", {"lease": "43201"}),
    "apigw-post-outbox-acks.json": apigw_outbox(
        "POST", "/outbox/acks", None, receipts_body("lease-1", "lease-2")
    ),
    "apigw-post-outbox-acks-bad-body.json": apigw_outbox(
        "POST", "/outbox/acks", None, json.dumps({"receipts": []})
    ),
    "apigw-post-outbox-releases.json": apigw_outbox(
        "POST", "/outbox/releases", None, receipts_body("lease-3")
    ),
}


def main() -> None:
    for name, event in EVENTS.items():
        (HERE / name).write_text(json.dumps(event, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
